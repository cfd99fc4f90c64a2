import Crypto
import Foundation
import InletModel

extension ProviderVerifier {
    /// Mailgun signs inside the body: `signature: {timestamp, token, signature}` where `signature`
    /// is hex HMAC-SHA256 of `timestamp + token` keyed by the HTTP webhook signing key. Legacy
    /// webhooks post the same three fields as a form. The body itself is not signed, so the
    /// `token` is the replay nonce the server must remember.
    static func verifyMailgun(_ request: ProviderRequest, _ credentials: ProviderCredentials, now: Date) -> ProviderVerification {
        guard !credentials.secrets.isEmpty else { return .rejected(reason: "mailgun: no signing key configured") }
        guard let fields = mailgunSignatureFields(request) else { return .rejected(reason: "mailgun: missing signature object") }
        guard let seconds = ByteEncoding.unixSeconds(fields.timestamp) else { return .rejected(reason: "mailgun: malformed timestamp") }
        guard let signature = ByteEncoding.hex(fields.signature), signature.count == SHA256.byteCount else {
            return .rejected(reason: "mailgun: malformed signature")
        }
        guard isFresh(seconds, now: now) else { return .rejected(reason: "mailgun: timestamp outside tolerance") }
        let message = Array((fields.timestamp + fields.token).utf8)
        for secret in credentials.secrets {
            var hmac = KeyedHMAC.sha256.keyed(secret)
            hmac.update(data: message)
            if ConstantTime.equal(Array(hmac.finalize()), signature) { return .verified }
        }
        return .rejected(reason: "mailgun: signature mismatch")
    }

    static func mailgunSignatureFields(_ request: ProviderRequest) -> (timestamp: String, token: String, signature: String)? {
        if request.mediaType == "application/x-www-form-urlencoded" {
            guard let form = FormURLEncoded.parse(request.body) else { return nil }
            func field(_ name: String) -> String? { form.first { $0.0 == name }?.1 }
            guard let timestamp = field("timestamp"), let token = field("token"), let signature = field("signature") else { return nil }
            return (timestamp, token, signature)
        }
        guard let body = request.parsedJSON, let object = body["signature"] else { return nil }
        let timestamp: String
        switch object["timestamp"] {
        case .string(let text)?: timestamp = text
        case .int(let number)?: timestamp = String(number)
        default: return nil
        }
        guard let token = object["token"]?.stringValue, let signature = object["signature"]?.stringValue else { return nil }
        return (timestamp, token, signature)
    }
}
