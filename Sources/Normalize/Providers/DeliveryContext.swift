import Foundation

/// What the server knows about a callback besides its body: who it is for and when it arrived.
public struct DeliveryContext: Sendable, Hashable {
    public var tenantId: String
    public var sourceId: String
    public var receivedAt: Date
    /// An event id the provider sent outside the body (Standard Webhooks' `webhook-id` header),
    /// stable across the provider's retries.
    public var headerEventId: String?

    public init(tenantId: String, sourceId: String, receivedAt: Date, headerEventId: String? = nil) {
        self.tenantId = tenantId
        self.sourceId = sourceId
        self.receivedAt = receivedAt
        self.headerEventId = headerEventId
    }
}
