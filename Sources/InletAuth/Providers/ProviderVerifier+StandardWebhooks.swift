import Crypto
import Foundation
import InletModel

extension ProviderVerifier {
    /// Standard Webhooks: base64 HMAC-SHA256 over `id.timestamp.body`, keyed by the bytes of the
    /// secret after `whsec_`, base64-decoded. `webhook-signature` is a space-separated list of
    /// `version,signature` so a sender can sign with an old and a new secret during a rotation;
    /// any `v1` entry matching any configured secret verifies. Entries of other versions (`v1a`
    /// is asymmetric) and malformed entries are skipped, never fatal.
    static func verifyStandardWebhooks(_ request: ProviderRequest, _ credentials: ProviderCredentials, now: Date) -> ProviderVerification {
        let keys = credentials.secrets.compactMap(standardWebhooksKey)
        guard !keys.isEmpty else { return .rejected(reason: "standard-webhooks: no valid whsec_ secret configured") }
        guard let id = request.header("webhook-id"), !id.isEmpty else { return .rejected(reason: "standard-webhooks: missing webhook-id") }
        guard let timestamp = request.header("webhook-timestamp") else { return .rejected(reason: "standard-webhooks: missing webhook-timestamp") }
        guard let header = request.header("webhook-signature") else { return .rejected(reason: "standard-webhooks: missing webhook-signature") }
        guard let seconds = ByteEncoding.unixSeconds(timestamp) else { return .rejected(reason: "standard-webhooks: malformed webhook-timestamp") }
        guard isFresh(seconds, now: now) else { return .rejected(reason: "standard-webhooks: timestamp outside tolerance") }

        let signatures: [[UInt8]] = header.split(separator: " ").compactMap { entry in
            let parts = entry.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0] == "v1" else { return nil }
            return ByteEncoding.base64(parts[1])
        }
        guard !signatures.isEmpty else { return .rejected(reason: "standard-webhooks: malformed webhook-signature") }

        let message = Array("\(id).\(timestamp).".utf8) + request.body
        for key in keys {
            let mac = Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
            for signature in signatures where ConstantTime.equal(mac, signature) { return .verified }
        }
        return .rejected(reason: "standard-webhooks: signature mismatch")
    }

    static func standardWebhooksKey(_ secret: String) -> SymmetricKey? {
        let encoded = secret.hasPrefix("whsec_") ? secret.dropFirst("whsec_".count) : Substring(secret)
        return ByteEncoding.base64(encoded).map { SymmetricKey(data: $0) }
    }
}
