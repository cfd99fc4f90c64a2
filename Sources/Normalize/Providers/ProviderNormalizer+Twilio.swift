import Foundation
import InletModel

extension ProviderNormalizer {
    /// Twilio's status words for SMS and WhatsApp messages (outbound, plus the inbound
    /// `receiving`/`received`), and whether a failure in that state is final.
    static let twilioStatuses: [String: (DeliveryStatus, permanent: Bool)] = [
        "accepted": (.queued, false), "scheduled": (.queued, false), "queued": (.queued, false),
        "sending": (.queued, false), "sent": (.sent, false), "delivered": (.delivered, false),
        "undelivered": (.failed, true), "failed": (.failed, true), "read": (.read, false),
        "receiving": (.queued, false), "received": (.delivered, false), "canceled": (.dropped, true),
    ]

    /// A status callback is a form: `MessageSid`, `MessageStatus`, `To`, `From`, `ErrorCode`...
    /// It carries no event id and no timestamp, so the identity is message and status: Twilio
    /// sends each status of a message once, and a retry repeats the same pair.
    /// `form` is `nil` when the body is not valid form encoding.
    static func twilio(_ form: [(String, String)]?) throws(InletError) -> [DeliveryRecord] {
        guard let pairs = form else { throw malformed(.twilio, "body is not valid form encoding") }
        var params = JSONObject()
        params.reserveCapacity(pairs.count)
        // The fields read below, taken in the same pass; a name's first value counts, as in
        // `params`, and an empty value counts as missing.
        var messageSid, smsSid, messageStatus, smsStatus, to, from, errorCode, errorMessage: String?
        for (name, value) in pairs where params[name] == nil {
            params.appendUnchecked(name, .string(value))
            guard !value.isEmpty else { continue }
            switch name {
            case "MessageSid": messageSid = value
            case "SmsSid": smsSid = value
            case "MessageStatus": messageStatus = value
            case "SmsStatus": smsStatus = value
            case "To": to = value
            case "From": from = value
            case "ErrorCode": errorCode = value
            case "ErrorMessage": errorMessage = value
            default: break
            }
        }
        guard let sid = messageSid ?? smsSid else { throw malformed(.twilio, "missing MessageSid") }
        guard let word = messageStatus ?? smsStatus else { throw malformed(.twilio, "missing MessageStatus") }
        let lowercasedWord = word.lowercased()
        guard let (status, permanent) = twilioStatuses[lowercasedWord] else { return [] }

        let isWhatsApp = (to?.hasPrefix("whatsapp:") ?? false) || (from?.hasPrefix("whatsapp:") ?? false)
        var error: DeliveryRecord.Failure?
        if let code = errorCode, code != "0" {
            error = .init(code: code, message: errorMessage, permanent: permanent)
        }
        return [
            DeliveryRecord(
                provider: .twilio, channel: isWhatsApp ? .whatsapp : .sms, status: status, providerStatus: word,
                providerMessageId: sid, recipient: to.map { $0.hasPrefix("whatsapp:") ? String($0.dropFirst("whatsapp:".count)) : $0 },
                occurredAt: nil, error: error, metadata: nil, raw: .object(params), providerEventId: nil,
                identity: sid + ":" + lowercasedWord
            )
        ]
    }
}
