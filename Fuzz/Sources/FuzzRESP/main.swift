import Foundation
import FuzzDriver
import NIOCore
import RESPDecoding

/// Redis replies through `RESPReplyDecoder` (hiredis's reader, as `RedisClient` uses it): the
/// input is a byte stream from the server, fed whole and then in chunks split at positions
/// derived from its first bytes. Both must yield the same replies, and end the same way (a
/// protocol error, or waiting for more bytes). A third decoder with a 64-byte pending limit takes
/// the chunks too, for the reply-too-large refusal.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let whole = decode(input, splits: [], maximumReplyBytes: 1 << 20)
    let splits = splitPoints(input)
    let chunked = decode(input, splits: splits, maximumReplyBytes: 1 << 20)
    guard whole == chunked else {
        fail("chunks split at \(splits) changed the replies:\n  whole   \(whole)\n  chunked \(chunked)", input)
    }
    _ = decode(input, splits: splits, maximumReplyBytes: 64)
    return 0
}

struct Outcome: Equatable, CustomStringConvertible {
    var replies: [RESPValue] = []
    var error: String?
    var description: String { "\(replies) then \(error ?? "waiting")" }
}

private func decode(_ input: UnsafeRawBufferPointer, splits: [Int], maximumReplyBytes: Int) -> Outcome {
    var decoder = RESPReplyDecoder(maximumReplyBytes: maximumReplyBytes)
    var outcome = Outcome()
    var start = 0
    do {
        for end in splits + [input.count] {
            try decoder.feed(ByteBuffer(bytes: input[start..<end]))
            start = end
            while let reply = try decoder.next() {
                _ = (reply.string, reply.integer, reply.array, reply.isError)
                outcome.replies.append(reply)
            }
        }
    } catch {
        outcome.error = "\(error)"
    }
    return outcome
}

private func splitPoints(_ input: UnsafeRawBufferPointer) -> [Int] {
    guard input.count > 1 else { return [] }
    var seed: UInt32 = 0
    for byte in input.prefix(4) { seed = seed << 8 | UInt32(byte) }
    var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 | 1
    var points: [Int] = []
    for _ in 0..<Int(seed % 9) {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        points.append(Int(state % UInt64(input.count + 1)))
    }
    return points.sorted()
}

private func fail(_ message: String, _ input: UnsafeRawBufferPointer) -> Never {
    let hex = input.prefix(1024).map { String(format: "%02x", $0) }.joined()
    fatalError("FuzzRESP: \(message); input \(hex)")
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
