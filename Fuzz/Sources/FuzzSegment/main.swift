import Foundation
import FuzzDriver
import InletModel
import Normalize

/// A Segment request body, parsed the way the events endpoint parses it (a tape), then
/// normalised for every endpoint. Default limits, then tiny ones so the size, count and messageId limits
/// reject. Must never crash; every event of a batch is either accepted or rejected, exactly once.
/// The raw bytes also go to the timestamp and Basic-auth write-key parsers directly.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    _ = ISO8601Timestamp.parse(utf8: UnsafeBufferPointer(rebasing: input.bindMemory(to: UInt8.self).prefix(64)))
    if size <= 256 {
        _ = WriteKey.fromBasicAuth("Basic " + String(decoding: input, as: UTF8.self))
        _ = WriteKey.fromBasicAuth(String(decoding: input, as: UTF8.self))
    }

    guard let tape = try? JSONParser.tape(Array(input)) else { return 0 }

    let context = EventContext(
        tenantId: "acme", sourceId: "web", receivedAt: Date(timeIntervalSince1970: 1_764_000_000), clientIP: "203.0.113.7")
    let tiny = EventLimits(maxEventBytes: 96, maxBatchEvents: 3, maxMessageIdBytes: 8)
    for limits in [EventLimits(), tiny] {
        for endpoint in SegmentEndpoint.allCases {
            guard let batch = try? SegmentNormalizer.normalize(tape: tape, endpoint: endpoint, context: context, limits: limits)
            else { continue }
            check(batch, body: tape.value(tape.root), endpoint: endpoint, input)
        }
    }
    return 0
}

private func check(_ batch: SegmentBatch, body: JSONValue, endpoint: SegmentEndpoint, _ input: UnsafeRawBufferPointer) {
    let expected: Int
    if endpoint.eventType != nil {
        expected = 1
    } else if case .object(let root) = body, case .array(let events)? = root["batch"] {
        expected = events.count
    } else {
        fail("\(endpoint) normalised a body without a batch array", input)
    }
    let indices = (batch.accepted.map(\.index) + batch.rejected.map(\.index)).sorted()
    guard indices == Array(0..<expected) else {
        fail("\(endpoint): events accepted or rejected \(indices), expected each of 0..<\(expected) once", input)
    }
    for event in batch.accepted {
        guard !event.messageId.isEmpty else { fail("\(endpoint): an accepted event has no messageId", input) }
        // The BSON written straight from the tape must read back whole: same messageId, no lost fields.
        let document = event.document
        guard document["messageId"] == .string(event.messageId), document["receivedAt"] != nil else {
            fail("\(endpoint): the event's BSON does not read back: \(document)", input)
        }
    }
}

private func fail(_ message: String, _ input: UnsafeRawBufferPointer) -> Never {
    let hex = input.prefix(1024).map { String(format: "%02x", $0) }.joined()
    fatalError("FuzzSegment: \(message); input \(hex)")
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
