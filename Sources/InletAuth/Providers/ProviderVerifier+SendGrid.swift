import Crypto
import Foundation
import InletModel

extension ProviderVerifier {
    /// SendGrid's Signed Event Webhook: ECDSA P-256 with SHA-256 over the timestamp header's text
    /// followed by the raw body; the signature is base64 of its DER form and the verification key
    /// is base64 of the DER SubjectPublicKeyInfo, as SendGrid's settings page shows it.
    static func verifySendGrid(_ request: ProviderRequest, _ credentials: ProviderCredentials, now: Date) -> ProviderVerification {
        guard let keyText = credentials.publicKey else { return .rejected(reason: "sendgrid: no verification key configured") }
        guard let keyDER = ByteEncoding.base64(keyText), let key = try? P256.Signing.PublicKey(derRepresentation: keyDER) else {
            return .rejected(reason: "sendgrid: configured verification key is not a base64 DER P-256 key")
        }
        guard let signatureText = request.header("x-twilio-email-event-webhook-signature") else {
            return .rejected(reason: "sendgrid: missing X-Twilio-Email-Event-Webhook-Signature")
        }
        guard let timestamp = request.header("x-twilio-email-event-webhook-timestamp") else {
            return .rejected(reason: "sendgrid: missing X-Twilio-Email-Event-Webhook-Timestamp")
        }
        guard let signatureDER = ByteEncoding.base64(signatureText),
            let signature = try? P256.Signing.ECDSASignature(derRepresentation: signatureDER)
        else { return .rejected(reason: "sendgrid: malformed signature header") }
        guard let seconds = ByteEncoding.unixSeconds(timestamp) else { return .rejected(reason: "sendgrid: malformed timestamp header") }
        guard isFresh(seconds, now: now) else { return .rejected(reason: "sendgrid: timestamp outside tolerance") }
        let signed = Array(timestamp.utf8) + request.body
        return key.isValidSignature(signature, for: signed) ? .verified : .rejected(reason: "sendgrid: signature mismatch")
    }
}
