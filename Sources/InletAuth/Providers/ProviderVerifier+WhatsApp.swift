import Crypto
import Foundation
import InletModel

extension ProviderVerifier {
    /// Meta signs each POST with `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, body)>`.
    /// Subscribing an endpoint is a `GET` with `hub.mode=subscribe`, `hub.verify_token` and
    /// `hub.challenge`: the challenge is echoed back, bare, only when the token matches.
    static func verifyWhatsApp(_ request: ProviderRequest, _ credentials: ProviderCredentials) -> ProviderVerification {
        if request.method.uppercased() == "GET" { return whatsAppHandshake(request, credentials) }
        guard !credentials.secrets.isEmpty else { return .rejected(reason: "whatsapp: no app secret configured") }
        guard let header = request.header("x-hub-signature-256") else { return .rejected(reason: "whatsapp: missing X-Hub-Signature-256") }
        guard header.hasPrefix("sha256="), let signature = ByteEncoding.hex(header.dropFirst("sha256=".count)),
            signature.count == SHA256.byteCount
        else { return .rejected(reason: "whatsapp: malformed X-Hub-Signature-256") }
        for secret in credentials.secrets {
            var hmac = KeyedHMAC.sha256.keyed(secret)
            hmac.update(data: request.body)
            if ConstantTime.equal(Array(hmac.finalize()), signature) { return .verified }
        }
        return .rejected(reason: "whatsapp: signature mismatch")
    }

    static func whatsAppHandshake(_ request: ProviderRequest, _ credentials: ProviderCredentials) -> ProviderVerification {
        guard let expected = credentials.verifyToken, !expected.isEmpty else { return .rejected(reason: "whatsapp: no verify token configured") }
        guard let query = request.queryItems else { return .rejected(reason: "whatsapp: malformed query string") }
        func item(_ name: String) -> String? { query.first { $0.0 == name }?.1 }
        guard item("hub.mode") == "subscribe" else { return .rejected(reason: "whatsapp: hub.mode is not subscribe") }
        guard let token = item("hub.verify_token"), ConstantTime.equal(Array(token.utf8), Array(expected.utf8)) else {
            return .rejected(reason: "whatsapp: hub.verify_token mismatch")
        }
        guard let challenge = item("hub.challenge"), !challenge.isEmpty else { return .rejected(reason: "whatsapp: missing hub.challenge") }
        return .handshake(responseBody: Array(challenge.utf8), contentType: "text/plain; charset=utf-8")
    }
}
