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

        var parameters: [(String, String)] = []
        if let bodyHash = query.first(where: { $0.0 == "bodySHA256" })?.1 {
            guard let expected = ByteEncoding.hex(bodyHash),
                ConstantTime.equal(expected, Array(SHA256.hash(data: request.body)))
            else { return .rejected(reason: "twilio: bodySHA256 does not match the body") }
        } else if !request.body.isEmpty {
            guard let params = request.form ?? FormURLEncoded.parse(request.body) else { return .rejected(reason: "twilio: malformed form body") }
            parameters = params
        }

        // The signed bytes are built once per URL tried and fed to each secret's HMAC in one update.
        func signs(_ signed: [UInt8]) -> Bool {
            credentials.secrets.contains { secret in
                var hmac = KeyedHMAC.sha1.keyed(secret)
                hmac.update(data: signed)
                return hmac.finalize().withUnsafeBytes { ConstantTime.equal($0, signature) }
            }
        }
        // The URL as configured almost always matches; the port variants are worked out only when it does not.
        if signs(twilioSignedBytes(publicURL: request.publicURL, path: request.path, parameters: parameters)) { return .verified }
        let variants = twilioURLCandidates(publicURL: request.publicURL, path: request.path).dropFirst()
        return variants.contains { signs(twilioSignedBytes(url: $0.utf8, parameters: parameters)) }
            ? .verified : .rejected(reason: "twilio: signature mismatch")
    }

    /// What Twilio signs for a form body sent to the configured URL: `twilioSignedURL`, then
    /// every parameter sorted by name (then value) as name and value, as bytes.
    static func twilioSignedBytes(publicURL: String, path: String, parameters: [(String, String)]) -> [UInt8] {
        // Byte by byte: this runs for every callback, and `/` is never part of a larger character.
        var base = publicURL.utf8[...]
        while base.last == UInt8(ascii: "/") { base.removeLast() }
        let slash = path.utf8.first == UInt8(ascii: "/") ? 0 : 1
        return twilioSignedBytes(prefix: base.count + slash + path.utf8.count, parameters: parameters) { signed in
            signed.append(contentsOf: base)
            if slash == 1 { signed.append(UInt8(ascii: "/")) }
            signed.append(contentsOf: path.utf8)
        }
    }

    /// `url` (a variant of the configured URL), then the parameters as `twilioSignedBytes` puts them.
    static func twilioSignedBytes(url: String.UTF8View, parameters: [(String, String)]) -> [UInt8] {
        twilioSignedBytes(prefix: url.count, parameters: parameters) { $0.append(contentsOf: url) }
    }

    /// `prefix` bytes written by `writePrefix`, then each parameter's name and value in Twilio's
    /// order, into one array sized for them all. The parameters usually arrive sorted: then they
    /// are written in place, otherwise through a sorted list of their positions.
    private static func twilioSignedBytes(prefix: Int, parameters: [(String, String)],
                                          _ writePrefix: (inout [UInt8]) -> Void) -> [UInt8] {
        func precedes(_ a: (String, String), _ b: (String, String)) -> Bool { (a.0, a.1) < (b.0, b.1) }
        var total = prefix
        var sorted = true
        for index in parameters.indices {
            total += parameters[index].0.utf8.count + parameters[index].1.utf8.count
            if sorted, index > 0, precedes(parameters[index], parameters[index - 1]) { sorted = false }
        }
        var signed: [UInt8] = []
        signed.reserveCapacity(total)
        writePrefix(&signed)
        func write(_ parameter: (String, String)) {
            signed.append(contentsOf: parameter.0.utf8)
            signed.append(contentsOf: parameter.1.utf8)
        }
        if sorted {
            for parameter in parameters { write(parameter) }
        } else {
            for index in parameters.indices.sorted(by: { precedes(parameters[$0], parameters[$1]) }) { write(parameters[index]) }
        }
        return signed
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
        String(decoding: twilioSignedBytes(publicURL: publicURL, path: path, parameters: []), as: UTF8.self)
    }
}
