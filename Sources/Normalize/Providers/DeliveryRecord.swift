import Foundation
import InletModel

/// The normalised facts of one provider event, before they become a stored document. Each
/// provider's reader fills one of these, so every provider's documents have the same shape.
struct DeliveryRecord {
    struct Failure {
        var code: String?
        var message: String?
        var permanent: Bool
    }

    var provider: SourceKind
    var channel: DeliveryChannel
    var status: DeliveryStatus
    var providerStatus: String
    var providerMessageId: String?
    var recipient: String?
    /// `nil` when the provider sends no time (Twilio): the time inlet received it.
    var occurredAt: Date?
    var error: Failure?
    /// Campaign and message references the provider carried (custom args, user variables, metadata).
    var metadata: JSONObject?
    var raw: JSONValue
    var providerEventId: String?
    /// The provider-specific identity of this event; prefixed with the provider to make `dedupKey`.
    var identity: String

    /// How many fields `event` writes at most.
    static let maxFields = 15

    func event(_ context: DeliveryContext) -> DeliveryEvent {
        let dedupKey = provider.rawValue + ":" + identity
        var document = JSONObject()
        // Every field below, at most: growing the arrays field by field showed in profiles.
        document.reserveCapacity(Self.maxFields)
        document.appendUnchecked("tenantId", .string(context.tenantId))
        document.appendUnchecked("sourceId", .string(context.sourceId))
        document.appendUnchecked("dedupKey", .string(dedupKey))
        document.appendUnchecked("provider", .string(provider.rawValue))
        document.appendUnchecked("channel", .string(channel.rawValue))
        document.appendUnchecked("status", .string(status.rawValue))
        document.appendUnchecked("providerStatus", .string(providerStatus))
        document.appendUnchecked("providerMessageId", providerMessageId.map(JSONValue.string) ?? .null)
        document.appendUnchecked("recipient", recipient.map(JSONValue.string) ?? .null)
        if let providerEventId { document.appendUnchecked("providerEventId", .string(providerEventId)) }
        document.appendUnchecked("occurredAt", .date(occurredAt ?? context.receivedAt))
        document.appendUnchecked("receivedAt", .date(context.receivedAt))
        if let error {
            document.appendUnchecked("error", .object([
                "code": error.code.map(JSONValue.string) ?? .null,
                "message": error.message.map(JSONValue.string) ?? .null,
                "permanent": .bool(error.permanent),
            ]))
        }
        if let metadata, !metadata.isEmpty { document.appendUnchecked("metadata", .object(metadata)) }
        document.appendUnchecked("raw", raw)
        return DeliveryEvent(dedupKey: dedupKey, providerEventId: providerEventId, document: document)
    }
}
