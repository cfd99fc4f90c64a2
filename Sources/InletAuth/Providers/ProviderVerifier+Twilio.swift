import Crypto
import Foundation
import InletModel

extension ProviderVerifier {
    /// Twilio signs the URL *as Twilio called it* (`INLET_PUBLIC_URL` + path + query), then, for a
    /// form body, every parameter sorted by name as `name + value`, with HMAC-SHA1 keyed by the
    /// auth token, in base64. The public-URL pitfall: behind a proxy or load balancer the URL this
    /// process sees differs from the one Twilio signed (scheme, host, port), so it must come from
    /// configuration, never from `Host`. Twilio's own libraries also try the URL with and without
    /// the default port, because Twilio may sign either; so do we.
    /// A JSON body is not in the signature: Twilio adds `bodySHA256` (hex SHA-256 of the body) to
    /// the query instead, which is signed as part of the URL and checked here against the body.
    static func verifyTwilio(_ request: ProviderRequest, _ credentials: ProviderCredentials) -> ProviderVerification {
        guard !credentials.secrets.isEmpty else { return .rejected(reason: "twilio: no auth token configured") }
        guard let header = request.header("x-twilio-signature") else { return .rejected(reason: "twilio: missing X-Twilio-Signature") }
        guard let signature = ByteEncoding.base64(header), signature.count == Insecure.SHA1.byteCount else {
            return .rejected(reason: "twilio: malformed X-Twilio-Signature")
        }
        guard let query = request.queryItems else { return .rejected(reason: "twilio: malformed query string") }

        var signedSuffix: [UInt8] = []
        if let bodyHash = query.first(where: { $0.0 == "bodySHA256" })?.1 {
            guard let expected = ByteEncoding.hex(bodyHash),
                ConstantTime.equal(expected, Array(SHA256.hash(data: request.body)))
            else { return .rejected(reason: "twilio: bodySHA256 does not match the body") }
        } else if !request.body.isEmpty {
            guard let params = request.form ?? FormURLEncoded.parse(request.body) else { return .rejected(reason: "twilio: malformed form body") }
            for (name, value) in params.sorted(by: { ($0.0, $0.1) < ($1.0, $1.1) }) {
                signedSuffix.append(contentsOf: name.utf8)
                signedSuffix.append(contentsOf: value.utf8)
            }
        }

        func signs(_ url: String) -> Bool {
            let url = Array(url.utf8)
            return credentials.secrets.contains { secret in
                var hmac = KeyedHMAC.sha1.keyed(secret)
                hmac.update(data: url)
                hmac.update(data: signedSuffix)
                return ConstantTime.equal(Array(hmac.finalize()), signature)
            }
        }
        // The URL as configured almost always matches; the port variants are worked out only when it does not.
        if signs(twilioSignedURL(publicURL: request.publicURL, path: request.path)) { return .verified }
        let variants = twilioURLCandidates(publicURL: request.publicURL, path: request.path).dropFirst()
        return variants.contains(where: signs) ? .verified : .rejected(reason: "twilio: signature mismatch")
    }

    /// The signed URL as configured, then with the scheme's default port added or removed.
    static func twilioURLCandidates(publicURL: String, path: String) -> [String] {
        var base = publicURL
        while base.hasSuffix("/") { base.removeLast() }
        let target = path.hasPrefix("/") ? path : "/" + path
        var candidates = [twilioSignedURL(publicURL: publicURL, path: path)]
        guard let schemeEnd = base.range(of: "://") else { return candidates }
        let scheme = base[..<schemeEnd.lowerBound].lowercased()
        let authority = base[schemeEnd.upperBound...]
        let defaultPort = scheme == "https" ? ":443" : scheme == "http" ? ":80" : nil
        guard let defaultPort, !authority.contains("/") else { return candidates }
        let hostAndPort = authority.split(separator: "@").last ?? authority
        let hasPort = hostAndPort.contains(":") && !hostAndPort.hasSuffix("]")
        if authority.hasSuffix(defaultPort) {
            candidates.append(String(base.dropLast(defaultPort.count)) + target)
        } else if !hasPort {
            candidates.append(base + defaultPort + target)
        }
        return candidates
    }

    /// The URL Twilio signs when the public URL is configured exactly as Twilio calls it.
    static func twilioSignedURL(publicURL: String, path: String) -> String {
        // Byte by byte: this runs for every callback, and `/` is never part of a larger character.
        var base = publicURL.utf8[...]
        while base.last == UInt8(ascii: "/") { base.removeLast() }
        return Substring(base) + (path.utf8.first == UInt8(ascii: "/") ? path : "/" + path)
    }
}
