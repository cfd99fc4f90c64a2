import Foundation
import InletModel

extension ProviderNormalizer {
    static let mailgunStatuses: [String: DeliveryStatus] = [
        "accepted": .sent, "rejected": .dropped, "delivered": .delivered, "failed": .failed, "opened": .opened,
        "clicked": .clicked, "unsubscribed": .unsubscribed, "complained": .complained,
    ]

    /// `{"signature": {...}, "event-data": {...}}`: one event per callback, with its own `id`.
    /// `failed` is refined by `severity` and `reason`: a permanent failure is a bounce, a temporary
    /// one is a deferral (Mailgun retries), and `suppress-*` means Mailgun never tried (dropped).
    static func mailgun(_ body: JSONValue) throws(InletError) -> [DeliveryRecord] {
        guard let data = body["event-data"], let event = data.objectValue else { throw malformed(.mailgun, "missing event-data object") }
        guard let word = event["event"]?.stringValue else { throw malformed(.mailgun, "event-data has no \"event\" field") }
        guard var status = mailgunStatuses[word] else { return [] }

        let deliveryStatus = event["delivery-status"]
        let code = text(deliveryStatus?["code"])
        let detail = text(deliveryStatus?["description"]) ?? text(deliveryStatus?["message"]) ?? text(event["reason"])
        var error: DeliveryRecord.Failure?
        switch word {
        case "failed":
            let reason = event["reason"]?.stringValue ?? ""
            let permanent = event["severity"]?.stringValue != "temporary"
            status = reason.hasPrefix("suppress-") ? .dropped : permanent ? .bounced : .deferred
            error = .init(code: code, message: detail, permanent: permanent)
        case "rejected":
            error = .init(code: code, message: text(event["reject"]?["reason"]) ?? detail, permanent: true)
        default:
            break
        }

        var metadata = JSONObject()
        for (key, name) in [("user-variables", "userVariables"), ("tags", "tags"), ("campaigns", "campaigns")] {
            if let value = event[key], value != .array([]), value != .object(JSONObject()) { metadata.appendUnchecked(name, value) }
        }
        let occurredAt = ProviderTimestamp.unix(event["timestamp"])
        let messageId = text(event["message"]?["headers"]?["message-id"])
        let eventId = text(event["id"])
        guard eventId != nil || messageId != nil else { throw malformed(.mailgun, "event-data has neither id nor message-id") }
        let fallback = [messageId ?? "", word, occurredAt.map { String($0.timeIntervalSince1970) } ?? ""].joined(separator: ":")
        return [
            DeliveryRecord(
                provider: .mailgun, channel: .email, status: status, providerStatus: word, providerMessageId: messageId,
                recipient: text(event["recipient"]), occurredAt: occurredAt, error: error, metadata: metadata, raw: data,
                providerEventId: eventId, identity: eventId ?? fallback
            )
        ]
    }
}
