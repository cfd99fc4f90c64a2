import Foundation
import InletModel

extension ProviderNormalizer {
    static let sendGridStatuses: [String: DeliveryStatus] = [
        "processed": .sent, "deferred": .deferred, "delivered": .delivered, "open": .opened, "click": .clicked,
        "bounce": .bounced, "dropped": .dropped, "spamreport": .complained, "unsubscribe": .unsubscribed,
        "group_unsubscribe": .unsubscribed,
    ]

    /// Fields SendGrid itself sets on an event; every other top-level field is a custom argument
    /// the sender attached, which is how campaigns are referenced.
    static let sendGridStandardFields: Set<String> = [
        "email", "timestamp", "smtp-id", "event", "category", "sg_event_id", "sg_message_id", "sg_template_id",
        "sg_template_name", "reason", "status", "response", "attempt", "useragent", "ip", "url", "url_offset",
        "asm_group_id", "type", "bounce_classification", "tls", "cert_err", "marketing_campaign_id",
        "marketing_campaign_name", "marketing_campaign_version", "marketing_campaign_split_id", "mc_stats",
        "singlesend_id", "singlesend_name", "template_id", "template_version_id", "sg_machine_open", "pool",
        "send_at", "phase_id", "sg_content_type", "sg_user_id", "unique_args",
    ]

    /// The Event Webhook posts a JSON array of events, each with its own `sg_event_id`.
    /// `group_resubscribe` has no canonical status and is skipped (see docs/providers.md).
    static func sendGrid(_ body: JSONValue) throws(InletError) -> [DeliveryRecord] {
        guard let items = body.arrayValue else { throw malformed(.sendgrid, "expected a JSON array of events") }
        var records: [DeliveryRecord] = []
        for (index, item) in items.enumerated() {
            guard let event = item.objectValue, let word = event["event"]?.stringValue else {
                throw malformed(.sendgrid, "event \(index) has no \"event\" field")
            }
            guard let status = sendGridStatuses[word] else { continue }
            let occurredAt = ProviderTimestamp.unix(event["timestamp"])
            let messageId = text(event["sg_message_id"])
            let eventId = text(event["sg_event_id"])
            guard eventId != nil || messageId != nil else { throw malformed(.sendgrid, "event \(index) has neither sg_event_id nor sg_message_id") }

            var error: DeliveryRecord.Failure?
            switch word {
            case "bounce":
                error = .init(code: text(event["status"]), message: text(event["reason"]), permanent: event["type"]?.stringValue != "blocked")
            case "dropped":
                error = .init(code: text(event["status"]), message: text(event["reason"]), permanent: true)
            case "deferred":
                error = .init(code: text(event["status"]), message: text(event["response"]) ?? text(event["reason"]), permanent: false)
            default:
                break
            }

            var metadata = JSONObject()
            var customArgs = JSONObject()
            for (key, value) in event where !sendGridStandardFields.contains(key) { customArgs.appendUnchecked(key, value) }
            if !customArgs.isEmpty { metadata.appendUnchecked("customArgs", .object(customArgs)) }
            for key in ["category", "marketing_campaign_id", "marketing_campaign_name", "singlesend_id", "asm_group_id", "sg_template_id"] {
                if let value = event[key] { metadata.appendUnchecked(key, value) }
            }

            let fallback = [messageId ?? "", word, occurredAt.map { String(Int64($0.timeIntervalSince1970)) } ?? ""].joined(separator: ":")
            records.append(
                DeliveryRecord(
                    provider: .sendgrid, channel: .email, status: status, providerStatus: word, providerMessageId: messageId,
                    recipient: text(event["email"]), occurredAt: occurredAt, error: error, metadata: metadata, raw: item,
                    providerEventId: eventId, identity: eventId ?? fallback
                ))
        }
        return records
    }
}
