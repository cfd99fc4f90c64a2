import InletModel

/// What a callback body contains: delivery events, and for SES the SNS subscription handshake,
/// which is recorded for an operator to confirm rather than followed (following `SubscribeURL`
/// from a request would let anyone make inlet fetch a URL of their choice).
public struct ProviderPayload: Sendable, Hashable {
    public var events: [DeliveryEvent]
    /// For an SNS `SubscriptionConfirmation` or `UnsubscribeConfirmation`: the fields an operator
    /// needs (`type`, `topicArn`, `subscribeURL`, `token`, `messageId`, ...), with `tenantId`,
    /// `sourceId` and `receivedAt`.
    public var subscriptionConfirmation: JSONObject?

    public init(events: [DeliveryEvent], subscriptionConfirmation: JSONObject? = nil) {
        self.events = events
        self.subscriptionConfirmation = subscriptionConfirmation
    }
}
