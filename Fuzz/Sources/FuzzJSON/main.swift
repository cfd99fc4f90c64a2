import InletModel
import FuzzDriver
import Foundation

/// `JSONParser.parse` on arbitrary bytes. Whatever parses must survive a round trip through the
/// writer (`parse(value.jsonBytes()) == value`, and writing again gives the same bytes) and
/// through BSON (`BSONWriter`, then `BSONReader`), and the tape's container lengths must be the
/// bytes of that container as sent.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: data, count: size))
    let input = UnsafeRawBufferPointer(start: data, count: size)

    // Shallow limits take the depth and number-length refusals on every input.
    _ = try? JSONParser.parse(bytes, limits: .init(maxDepth: 3, maxNumberLength: 8))
    guard let tape = try? JSONParser.tape(bytes) else { return 0 }
    let value = tape.value(tape.root)
    checkLengths(tape, tape.root, bytes, input)
    roundTrip(value, input)
    if case .object(let object) = value, object.firstUnstorableFieldName == nil {
        let back = BSONReader.object(BSONWriter.document(object))
        guard back == object else { fail("BSON round trip changed \(object) into \(back)", input) }
    }
    return 0
}

private func roundTrip(_ value: JSONValue, _ input: UnsafeRawBufferPointer) {
    let written = value.jsonBytes()
    let again: JSONValue
    do {
        again = try JSONParser.parse(written)
    } catch {
        fail("the writer's output does not parse: \(error); output \(hex(written[...]))", input)
    }
    guard again == value else {
        fail("round trip changed the value: \(value) became \(again); output \(hex(written[...]))", input)
    }
    guard again.jsonBytes() == written else {
        fail("writing the re-parsed value gave different bytes", input)
    }
}

/// Every container's recorded bytes, parsed on their own, give that container again.
private func checkLengths(_ tape: JSONTape, _ index: JSONTape.Index, _ bytes: [UInt8], _ input: UnsafeRawBufferPointer) {
    switch tape.kind(index) {
    case .object:
        for (_, value) in tape.members(index) { checkLengths(tape, value, bytes, input) }
    case .array:
        for element in tape.elements(index) { checkLengths(tape, element, bytes, input) }
    default:
        return
    }
    let range = tape.byteRange(index)
    guard range.upperBound <= bytes.count, let alone = try? JSONParser.parse(Array(bytes[range])), alone == tape.value(index) else {
        fail("container bytes \(range) do not parse to the container", input)
    }
}

private func hex(_ bytes: ArraySlice<UInt8>) -> String {
    bytes.prefix(512).map { byte in
        let digits = String(byte, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }.joined()
}

private func fail(_ message: String, _ input: UnsafeRawBufferPointer) -> Never {
    fatalError("FuzzJSON: \(message); input \(hex(Array(input)[...]))")
}

@main
enum Main {
    static func main() {
        exit(inlet_fuzz_main(CommandLine.argc, CommandLine.unsafeArgv) { data, size in
            guard let data else { return withUnsafePointer(to: UInt8(0)) { fuzz($0, 0) } }
            return fuzz(data, size)
        })
    }
}
