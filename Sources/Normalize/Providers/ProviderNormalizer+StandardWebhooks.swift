import Foundation
import InletModel

extension ProviderNormalizer {
    /// Words recognised at the end of a Standard Webhooks `type` (`email.delivered`,
    /// `message.delivery_delayed`); the spec fixes the envelope, not the vocabulary.
    static let standardWebhooksStatuses: [String: DeliveryStatus] = [
        "queued": .queued, "scheduled": .queued, "sent": .sent, "delivered": .delivered, "read": .read,
        "opened": .opened, "clicked": .clicked, "deferred": .deferred, "delivery_delayed": .deferred,
        "bounced": .bounced, "dropped": .dropped, "failed": .failed, "complained": .complained, "unsubscribed": .unsubscribed,
    ]

    /// The envelope is `{"type", "timestamp", "data"}`. Events of other types (`contact.created`)
    /// are accepted and skipped, since a generic sender sends more than delivery statuses.
    /// The `webhook-id` header is the identity: it is stable across the sender's retries.
    static func standardWebhooks(_ body: JSONValue, context: DeliveryContext) throws(InletError) -> [DeliveryRecord] {
        guard body.objectValue != nil, let type = body["type"]?.stringValue else {
            throw malformed(.standardWebhooks, "expected a JSON object with a type")
        }
        let word = String(type.split(separator: ".").last ?? "").lowercased()
        guard let status = standardWebhooksStatuses[word] else { return [] }
        let data = body["data"]
        let recipient = text(data?["to"]?.arrayValue?.first) ?? text(data?["to"]) ?? text(data?["recipient"]) ?? text(data?["email"])
        let messageId = text(data?["message_id"]) ?? text(data?["email_id"]) ?? text(data?["id"])
        let timeText = body["timestamp"]?.stringValue ?? data?["created_at"]?.stringValue
        let channel = data?["channel"]?.stringValue.flatMap(DeliveryChannel.init(rawValue:)) ?? .email
        var metadata = JSONObject()
        for key in ["tags", "metadata"] {
            if let value = data?[key], value != .null { metadata.appendUnchecked(key, value) }
        }
        let identity: String
        if let id = context.headerEventId {
            identity = id
        } else if let messageId {
            identity = [messageId, word, timeText ?? ""].joined(separator: ":")
        } else {
            throw malformed(.standardWebhooks, "no webhook-id and no message id to identify the event")
        }
        return [
            DeliveryRecord(
                provider: .standardWebhooks, channel: channel, status: status, providerStatus: type, providerMessageId: messageId,
                recipient: recipient, occurredAt: timeText.flatMap(ProviderTimestamp.iso8601) ?? ProviderTimestamp.unix(body["timestamp"]),
                error: nil, metadata: metadata, raw: body, providerEventId: context.headerEventId, identity: identity
            )
        ]
    }
}
