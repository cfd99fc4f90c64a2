import Foundation
import InletModel

extension ProviderVerifier {
    /// Postmark does not sign its webhooks; the URL carries HTTP Basic credentials chosen per
    /// webhook, which arrive as `Authorization: Basic base64(user:password)`.
    static func verifyPostmark(_ request: ProviderRequest, _ credentials: ProviderCredentials) -> ProviderVerification {
        guard !credentials.basicAuth.isEmpty else { return .rejected(reason: "postmark: no basic auth configured") }
        guard let header = request.header("authorization") else { return .rejected(reason: "postmark: missing Authorization") }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "basic", let presented = ByteEncoding.base64(parts[1]) else {
            return .rejected(reason: "postmark: malformed Authorization")
        }
        var matched = false
        for pair in credentials.basicAuth where ConstantTime.equal(Array(pair.utf8), presented) { matched = true }
        return matched ? .verified : .rejected(reason: "postmark: credentials mismatch")
    }
}
