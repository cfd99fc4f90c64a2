import Foundation
import InletModel

extension ProviderNormalizer {
    /// Postmark bounce `Type`s that end delivery to the address; used only when the bounce lacks
    /// Postmark's own verdict, `Inactive`.
    static let postmarkHardBounces: Set<String> = [
        "HardBounce", "BadEmailAddress", "ManuallyDeactivated", "SpamNotification", "Unsubscribe", "DMARCPolicy", "Blocked",
    ]

    /// One JSON object per callback, told apart by `RecordType`. Only a bounce has an event id
    /// (`ID`); other records are identified by message, record type and their own time.
    static func postmark(_ body: JSONValue) throws(InletError) -> [DeliveryRecord] {
        guard let record = body.objectValue, let word = record["RecordType"]?.stringValue else {
            throw malformed(.postmark, "expected a JSON object with RecordType")
        }
        let status: DeliveryStatus
        let timeField: String
        var recipient = text(record["Recipient"])
        var error: DeliveryRecord.Failure?
        switch word {
        case "Delivery":
            (status, timeField) = (.delivered, "DeliveredAt")
        case "Bounce":
            (status, timeField) = (.bounced, "BouncedAt")
            recipient = text(record["Email"]) ?? recipient
            let type = record["Type"]?.stringValue ?? ""
            let permanent = record["Inactive"]?.boolValue ?? postmarkHardBounces.contains(type)
            error = .init(code: text(record["TypeCode"]) ?? (type.isEmpty ? nil : type), message: text(record["Description"]) ?? text(record["Details"]), permanent: permanent)
        case "SpamComplaint":
            (status, timeField) = (.complained, "BouncedAt")
            recipient = text(record["Email"]) ?? recipient
        case "Open":
            (status, timeField) = (.opened, "ReceivedAt")
        case "Click":
            (status, timeField) = (.clicked, "ReceivedAt")
        case "SubscriptionChange":
            guard record["SuppressSending"]?.boolValue == true else { return [] }
            (status, timeField) = (.unsubscribed, "ChangedAt")
        default:
            return []
        }
        guard let messageId = text(record["MessageID"]) else { throw malformed(.postmark, "\(word) record has no MessageID") }
        var metadata = JSONObject()
        for key in ["Metadata", "Tag", "MessageStream"] {
            if let value = record[key], value != .null, value != .object(JSONObject()), value != .string("") {
                metadata.appendUnchecked(key == "Metadata" ? "metadata" : key == "Tag" ? "tag" : "messageStream", value)
            }
        }
        let timeText = record[timeField]?.stringValue
        let eventId = word == "Bounce" || word == "SpamComplaint" ? text(record["ID"]) : nil
        return [
            DeliveryRecord(
                provider: .postmark, channel: .email, status: status, providerStatus: word, providerMessageId: messageId,
                recipient: recipient, occurredAt: timeText.flatMap(ProviderTimestamp.iso8601), error: error, metadata: metadata,
                raw: body, providerEventId: eventId,
                identity: eventId.map { "\(word.lowercased()):\($0)" } ?? [messageId, word, timeText ?? ""].joined(separator: ":")
            )
        ]
    }
}
