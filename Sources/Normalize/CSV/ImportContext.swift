import Foundation

/// Who a CSV import belongs to and when it arrived: stamped on every document it writes.
public struct ImportContext: Sendable, Hashable {
    public var tenantId: String
    public var sourceId: String
    public var importId: String
    /// Seeds the `messageId` of event rows that carry none, so a retried upload writes the same
    /// ids and the unique index drops the repeats. Pass the `Idempotency-Key` header, or the
    /// import id when the upload has none.
    public var idempotencyKey: String
    public var receivedAt: Date

    public init(tenantId: String, sourceId: String, importId: String, idempotencyKey: String, receivedAt: Date) {
        self.tenantId = tenantId
        self.sourceId = sourceId
        self.importId = importId
        self.idempotencyKey = idempotencyKey
        self.receivedAt = receivedAt
    }
}
