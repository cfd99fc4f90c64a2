import InletModel
import FuzzDriver
import Foundation

/// `JSONParser.parse` on arbitrary bytes. Whatever parses must survive a round trip through the
/// writer (`parse(value.jsonBytes()) == value`, and writing again gives the same bytes), and the
/// measuring parse used for Segment batches must agree with the plain one.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)

    let plain: Result<JSONValue, JSONParseError> = Result { () throws(JSONParseError) in try JSONParser.parse(bytes) }
    var lengths: [Int] = []
    let measured: Result<JSONValue, JSONParseError> = Result { () throws(JSONParseError) in
        try JSONParser.parse(bytes, measuringElementsOf: "batch", elementLengths: &lengths)
    }
    // Shallow limits take the depth and number-length refusals on every input.
    _ = try? JSONParser.parse(bytes, limits: .init(maxDepth: 3, maxNumberLength: 8))

    switch (plain, measured) {
    case (.success(let a), .success(let b)):
        guard a == b else { fail("plain and measuring parses differ", bytes) }
        checkLengths(a, lengths, size: size, bytes)
        roundTrip(a, bytes)
    case (.failure, .failure):
        break
    default:
        fail("plain and measuring parses disagree on success: \(plain) vs \(measured)", bytes)
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

/// Each measured element is the bytes of one `batch` element as sent, so it parses on its own to
/// that element. Only checked when the root is an object whose `batch` is an array.
private func checkLengths(_ value: JSONValue, _ lengths: [Int], size: Int, _ input: UnsafeRawBufferPointer) {
    guard case .object(let root) = value, case .array(let elements)? = root["batch"] else { return }
    guard lengths.count == elements.count else {
        fail("\(lengths.count) element lengths for \(elements.count) batch elements", input)
    }
    guard lengths.allSatisfy({ $0 > 0 }), lengths.reduce(0, +) <= size else {
        fail("implausible element lengths \(lengths) for \(size) bytes", input)
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
