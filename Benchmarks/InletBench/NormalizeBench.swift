import ArgumentParser
import Foundation
import InletModel
import Normalize

/// `inlet-bench normalize`: CPU per event of the event path's own work, with no network and no
/// store: parse a Segment body into a tape and normalise it into BSON, many times over. The part
/// of `scripts/bench batch`'s CPU per event that is inlet's parsing and normalising.
struct NormalizeBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "normalize",
        abstract: "Parse and normalise a Segment body repeatedly; print CPU µs per event."
    )

    @Argument(help: "A Segment body (JSON file), e.g. scripts/bench's batch.json.")
    var body: String

    @Option(help: "How many times to parse and normalise it.")
    var repeats = 2_000

    @Option(help: "The endpoint the body is sent to.")
    var endpoint = "batch"

    func run() throws {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: body)))
        guard let endpoint = SegmentEndpoint(pathComponent: endpoint) else { throw ValidationError("unknown endpoint") }
        let context = EventContext(tenantId: "acme", sourceId: "acme-web", receivedAt: Date(), clientIP: "127.0.0.1")
        var events = 0
        let started = StoreBench.threadCPUSeconds()
        for _ in 0..<repeats {
            let batch = try SegmentNormalizer.normalize(tape: JSONParser.tape(bytes), endpoint: endpoint, context: context)
            events += batch.accepted.count
        }
        let cpu = StoreBench.threadCPUSeconds() - started
        print(String(format: "normalize: %d events, %.3f µs CPU/event (parse + normalise to BSON)", events, cpu * 1e6 / Double(events)))
    }
}
