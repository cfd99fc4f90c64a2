import ArgumentParser
import Crypto
import Foundation
import InletAuth
import InletModel
import Normalize

/// `inlet-bench callbacks`: CPU per callback of the hooks path's own work, with no network and
/// no store: what `HooksEndpoint` does for `scripts/bench callbacks`' signed Twilio status
/// callback (parse the form once, verify X-Twilio-Signature, normalise, check field names,
/// encode the delivery event to BSON), many times over.
struct CallbacksBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "callbacks",
        abstract: "Verify, normalise and encode a signed Twilio status callback repeatedly; print CPU µs per callback."
    )

    @Option(help: "How many times to handle the callback.")
    var repeats = 200_000

    @Option(help: "How many auth tokens the source has; the signing one is the last.")
    var secrets = 1

    func run() throws {
        // The body and signature of scripts/lib/bench/benchtool.py's `twilio`.
        let params = [
            ("AccountSid", "AC0123456789abcdef0123456789abcdef"), ("ApiVersion", "2010-04-01"),
            ("From", "+15005550006"), ("MessageSid", "SM0123456789abcdef0123456789abcdef"),
            ("MessageStatus", "delivered"), ("SmsSid", "SM0123456789abcdef0123456789abcdef"),
            ("SmsStatus", "delivered"), ("To", "+15551234567"),
        ]
        let body = Array(params.map { "\($0.0)=\($0.1.replacingOccurrences(of: "+", with: "%2B"))" }.joined(separator: "&").utf8)
        let publicURL = "https://localhost:8443"
        let path = "/v1/hooks/acme-twilio"
        let token = "0123456789abcdef0123456789abcdef"
        let signed = publicURL + path + params.sorted { $0.0 < $1.0 }.map { $0.0 + $0.1 }.joined()
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Array(signed.utf8), using: SymmetricKey(data: Array(token.utf8)))
        let signature = Data(mac).base64EncodedString()
        var credentials = ProviderCredentials()
        credentials.secrets = (1..<max(1, secrets)).map { "other-token-\($0)" } + [token]
        let headers: [(name: String, value: String)] = [
            (":authority", "localhost:8443"), ("content-type", "application/x-www-form-urlencoded"),
            ("x-twilio-signature", signature), ("user-agent", "h2load nghttp2/1.59.0"),
        ]
        var bytes = 0
        let started = StoreBench.threadCPUSeconds()
        for _ in 0..<repeats {
            let now = Date()
            let form = FormURLEncoded.parse(body)
            let request = ProviderRequest(method: "POST", path: path, headers: headers, body: body, publicURL: publicURL, form: form)
            guard case .verified = ProviderVerifier.verify(kind: .twilio, request: request, credentials: credentials, now: now) else {
                throw ValidationError("the callback did not verify")
            }
            let context = DeliveryContext(tenantId: "acme", sourceId: "acme-twilio", receivedAt: now)
            let payload = try ProviderNormalizer.normalize(kind: .twilio, body: body, contentType: headers[1].value, context: context,
                                                           form: form)
            guard payload.events.lazy.compactMap(\.document.firstUnstorableFieldName).first == nil else {
                throw ValidationError("unstorable field name")
            }
            for event in payload.events where event.document["_id"] == nil {
                bytes += BSONWriter.document(event.document).count
            }
        }
        let cpu = StoreBench.threadCPUSeconds() - started
        print(String(format: "callbacks: %d callbacks, %.3f µs CPU/callback (parse + verify + normalise + encode), %d BSON bytes each",
                     repeats, cpu * 1e6 / Double(repeats), bytes / max(1, repeats)))
    }
}
