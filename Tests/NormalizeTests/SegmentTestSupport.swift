import Foundation
import InletModel
import Normalize

/// Shared fixtures for the Segment tests: a request context and a body parser.
enum SegmentFixture {
    /// 2024-01-02T03:00:10.000Z, when inlet "received" every test request.
    static let receivedAt = Date(timeIntervalSince1970: 1_704_164_410)

    static let context = EventContext(tenantId: "acme", sourceId: "acme-web", receivedAt: receivedAt, clientIP: "203.0.113.7")

    static func normalize(_ json: String, _ endpoint: SegmentEndpoint, limits: EventLimits = .init()) throws -> SegmentBatch {
        try SegmentNormalizer.normalize(tape: JSONParser.tape(Array(json.utf8)), endpoint: endpoint, context: context, limits: limits)
    }

    static func date(_ text: String) -> Date? {
        ISO8601Timestamp.parse(text)
    }
}
