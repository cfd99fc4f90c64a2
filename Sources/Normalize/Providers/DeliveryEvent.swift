import InletModel

/// One provider status event, ready for `deliveryEvents` (unique on `tenantId, dedupKey`).
public struct DeliveryEvent: Sendable, Hashable {
    /// Deterministic from the provider's own identifiers, so a redelivered callback maps to the
    /// same key and the unique index stores it once.
    public var dedupKey: String
    /// The provider's id for this event when it has one, for the replay nonce in Redis.
    public var providerEventId: String?
    public var document: JSONObject

    public init(dedupKey: String, providerEventId: String?, document: JSONObject) {
        self.dedupKey = dedupKey
        self.providerEventId = providerEventId
        self.document = document
    }
}
