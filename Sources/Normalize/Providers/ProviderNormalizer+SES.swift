import Foundation
import InletModel

extension ProviderNormalizer {
    /// SES event types (event publishing's `eventType`, or `notificationType` for identity
    /// notifications), the key of their detail object, and the canonical status.
    static let sesEvents: [String: (detail: String, status: DeliveryStatus)] = [
        "Send": ("send", .sent), "Delivery": ("delivery", .delivered), "Bounce": ("bounce", .bounced),
        "Complaint": ("complaint", .complained), "Reject": ("reject", .dropped), "Open": ("open", .opened),
        "Click": ("click", .clicked), "DeliveryDelay": ("deliveryDelay", .deferred),
        "Subscription": ("subscription", .unsubscribed), "Rendering Failure": ("failure", .failed),
    ]

    /// An SNS envelope. `Notification` carries the SES event as a JSON string in `Message`; the
    /// SNS `MessageId` stays the same on SNS's retries, so it is the event's identity.
    static func ses(_ body: JSONValue, context: DeliveryContext) throws(InletError) -> ProviderPayload {
        guard let envelope = body.objectValue, let type = envelope["Type"]?.stringValue else { throw malformed(.ses, "not an SNS message") }
        switch type {
        case "SubscriptionConfirmation", "UnsubscribeConfirmation":
            var confirmation = JSONObject()
            confirmation.appendUnchecked("tenantId", .string(context.tenantId))
            confirmation.appendUnchecked("sourceId", .string(context.sourceId))
            confirmation.appendUnchecked("type", .string(type))
            for (field, name) in [("TopicArn", "topicArn"), ("MessageId", "messageId"), ("SubscribeURL", "subscribeURL"), ("Token", "token"), ("Message", "message")] {
                confirmation.appendUnchecked(name, envelope[field] ?? .null)
            }
            confirmation.appendUnchecked("timestamp", envelope["Timestamp"]?.stringValue.flatMap(ProviderTimestamp.iso8601).map(JSONValue.date) ?? .null)
            confirmation.appendUnchecked("receivedAt", .date(context.receivedAt))
            return ProviderPayload(events: [], subscriptionConfirmation: confirmation)
        case "Notification":
            break
        default:
            throw malformed(.ses, "unknown SNS message type")
        }
        guard let snsMessageId = text(envelope["MessageId"]) else { throw malformed(.ses, "SNS message has no MessageId") }
        guard let messageText = envelope["Message"]?.stringValue else { throw malformed(.ses, "SNS message has no Message") }
        let sesEvent: JSONValue
        do {
            sesEvent = try JSONParser.parse(messageText)
        } catch {
            throw malformed(.ses, "SNS Message is not JSON (\(error.description))")
        }
        guard let word = sesEvent["eventType"]?.stringValue ?? sesEvent["notificationType"]?.stringValue else {
            throw malformed(.ses, "SES event has neither eventType nor notificationType")
        }
        guard let (detailKey, baseStatus) = sesEvents[word] else { return ProviderPayload(events: []) }
        let mail = sesEvent["mail"]
        let detail = sesEvent[detailKey]
        var status = baseStatus
        var error: DeliveryRecord.Failure?
        var recipient = text(mail?["destination"]?.arrayValue?.first)

        switch word {
        case "Bounce":
            let first = detail?["bouncedRecipients"]?.arrayValue?.first
            recipient = text(first?["emailAddress"]) ?? recipient
            let message = text(first?["diagnosticCode"]) ?? text(detail?["bounceSubType"])
            error = .init(code: text(first?["status"]), message: message, permanent: detail?["bounceType"]?.stringValue == "Permanent")
        case "Complaint":
            recipient = text(detail?["complainedRecipients"]?.arrayValue?.first?["emailAddress"]) ?? recipient
        case "Delivery":
            recipient = text(detail?["recipients"]?.arrayValue?.first) ?? recipient
        case "DeliveryDelay":
            let first = detail?["delayedRecipients"]?.arrayValue?.first
            recipient = text(first?["emailAddress"]) ?? recipient
            error = .init(code: text(first?["status"]), message: text(first?["diagnosticCode"]) ?? text(detail?["delayType"]), permanent: false)
        case "Reject":
            error = .init(code: nil, message: text(detail?["reason"]), permanent: true)
        case "Rendering Failure":
            error = .init(code: nil, message: text(detail?["errorMessage"]), permanent: true)
        case "Subscription":
            guard sesUnsubscribed(detail) else { return ProviderPayload(events: []) }
            status = .unsubscribed
        default:
            break
        }

        var metadata = JSONObject()
        if let tags = mail?["tags"], tags != .object(JSONObject()) { metadata.appendUnchecked("tags", tags) }
        let occurredAt = [detail?["timestamp"], mail?["timestamp"], envelope["Timestamp"]]
            .lazy.compactMap { $0?.stringValue.flatMap(ProviderTimestamp.iso8601) }.first
        let record = DeliveryRecord(
            provider: .ses, channel: .email, status: status, providerStatus: word, providerMessageId: text(mail?["messageId"]),
            recipient: recipient, occurredAt: occurredAt, error: error, metadata: metadata, raw: sesEvent,
            providerEventId: snsMessageId, identity: snsMessageId
        )
        return ProviderPayload(events: [record.event(context)])
    }

    /// A Subscription event reports any preference change; only an opt-out is an unsubscribe.
    static func sesUnsubscribed(_ detail: JSONValue?) -> Bool {
        guard let preferences = detail?["newTopicPreferences"] else { return false }
        if preferences["unsubscribeAll"]?.boolValue == true { return true }
        let topics = preferences["topicSubscriptionStatus"]?.arrayValue ?? []
        return topics.contains { $0["subscriptionStatus"]?.stringValue == "OptOut" }
    }
}
