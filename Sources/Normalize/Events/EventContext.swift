import Foundation

/// What the server knows about a request and the body does not: who sent it, through which
/// source, when, and from where.
public struct EventContext: Sendable, Hashable {
    public var tenantId: String
    public var sourceId: String
    /// The instant inlet received the request; every event of the request shares it.
    public var receivedAt: Date
    /// The client's address, written as `context.ip` when the event does not carry one.
    public var clientIP: String?

    public init(tenantId: String, sourceId: String, receivedAt: Date, clientIP: String? = nil) {
        self.tenantId = tenantId
        self.sourceId = sourceId
        self.receivedAt = receivedAt
        self.clientIP = clientIP
    }
}
