import Foundation
import InletModel

extension ProviderNormalizer {
    /// Cloud API message statuses; `played` (voice message listened to) counts as read.
    /// `deleted` has no canonical status and is skipped.
    static let whatsAppStatuses: [String: DeliveryStatus] = [
        "sent": .sent, "delivered": .delivered, "read": .read, "played": .read, "failed": .failed,
    ]

    /// `entry[].changes[].value.statuses[]`; inbound `messages[]` in the same envelope are not
    /// delivery events. Statuses have no event id, and Meta may send them out of order, so the
    /// identity is message id, status and the status's own timestamp.
    static func whatsApp(_ body: JSONValue) throws(InletError) -> [DeliveryRecord] {
        guard let entries = body["entry"]?.arrayValue else { throw malformed(.whatsapp, "missing entry array") }
        var records: [DeliveryRecord] = []
        for entry in entries {
            guard let changes = entry["changes"]?.arrayValue else { throw malformed(.whatsapp, "entry has no changes array") }
            for change in changes {
                guard let statuses = change["value"]?["statuses"] else { continue }
                guard let list = statuses.arrayValue else { throw malformed(.whatsapp, "statuses is not an array") }
                for item in list {
                    guard let messageId = text(item["id"]), let word = item["status"]?.stringValue else {
                        throw malformed(.whatsapp, "a status lacks id or status")
                    }
                    guard let status = whatsAppStatuses[word] else { continue }
                    var error: DeliveryRecord.Failure?
                    if let first = item["errors"]?.arrayValue?.first {
                        let message = text(first["error_data"]?["details"]) ?? text(first["message"]) ?? text(first["title"])
                        error = .init(code: text(first["code"]), message: message, permanent: status == .failed)
                    }
                    var metadata = JSONObject()
                    if let reference = item["biz_opaque_callback_data"] { metadata.appendUnchecked("bizOpaqueCallbackData", reference) }
                    if let conversation = item["conversation"] { metadata.appendUnchecked("conversation", conversation) }
                    let timestamp = text(item["timestamp"]) ?? ""
                    records.append(
                        DeliveryRecord(
                            provider: .whatsapp, channel: .whatsapp, status: status, providerStatus: word,
                            providerMessageId: messageId, recipient: text(item["recipient_id"]),
                            occurredAt: ProviderTimestamp.unix(item["timestamp"]), error: error, metadata: metadata, raw: item,
                            providerEventId: nil, identity: messageId + ":" + word + ":" + timestamp
                        ))
                }
            }
        }
        return records
    }
}
