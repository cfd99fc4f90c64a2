import Foundation
import InletModel
import Yams

/// The credential fields of CONTRACT.md's table, and which kinds take which.
enum CredentialField: String, CaseIterable {
    case secret, publicKey, verifyToken, certificate, topicArn, basicAuth

    static func required(for kind: SourceKind) -> [CredentialField] {
        switch kind {
        case .events, .imports: return []
        case .twilio, .mailgun, .standardWebhooks: return [.secret]
        case .sendgrid: return [.publicKey]
        case .whatsapp: return [.secret, .verifyToken]
        case .ses: return [.certificate, .topicArn]
        case .postmark: return [.basicAuth]
        }
    }
}

extension RouteFileParser {
    private static let sourceKeys = Set(["id", "kind", "rateLimit", "secrets"])
        .union(CredentialField.allCases.map(\.rawValue))

    /// Parses one entry of `sources`; returns the id with its line even when the rest is wrong,
    /// so duplicates across files are still found.
    mutating func parseSource(_ node: Node, tenant: String?, region: Region?) -> (SourceRoute?, (id: String, line: Int)?) {
        guard let map = mapping(node, what: "a source") else { return (nil, nil) }
        let errorsBefore = errors.count
        checkKeys(map, allowed: Self.sourceKeys, in: "a source")
        let id = requiredIdentifier(map, key: "id", in: "a source")
        let name = id.map { "source '\($0.id)'" } ?? "a source"

        var kind: SourceKind?
        if let kindNode = required(map, key: "kind", in: name), let text = scalarString(kindNode, what: "'kind'") {
            kind = SourceKind(rawValue: text)
            if kind == nil {
                let choices = SourceKind.allCases.map(\.rawValue).joined(separator: ", ")
                report(kindNode, "unknown kind '\(text)' in \(name), expected one of \(choices)")
            }
        }

        var rateLimit = map["rateLimit"].flatMap { parseRateLimit($0, in: name) }
        if rateLimit == nil, map["rateLimit"] == nil, kind == .events {
            rateLimit = SourceRoute.defaultEventsRateLimit
        }

        let credentials = kind.flatMap { parseCredentials(map, kind: $0, in: name) }

        guard errors.count == errorsBefore, let id, let kind, let tenant, let region, let credentials else {
            return (nil, id)
        }
        let source = SourceRoute(
            id: id.id, tenantId: tenant, region: region, kind: kind, rateLimit: rateLimit, credentials: credentials)
        return (source, id)
    }

    private mutating func parseRateLimit(_ node: Node, in name: String) -> RateLimitPolicy? {
        guard let map = mapping(node, what: "'rateLimit' of \(name)") else { return nil }
        let context = "'rateLimit' of \(name)"
        checkKeys(map, allowed: ["perSecond", "burst", "onRedisDown"], in: context)
        var perSecond: Double?
        if let node = required(map, key: "perSecond", in: context) {
            if case .double(let d) = Self.jsonValue(node).normalisedNumber, d.isFinite, d > 0 {
                perSecond = d
            } else {
                report(node, "'perSecond' of \(name) must be a number greater than 0")
            }
        }
        var burst: Int?
        if let node = required(map, key: "burst", in: context) {
            if case .int(let i) = Self.jsonValue(node), i >= 1, let value = Int(exactly: i) {
                burst = value
            } else {
                report(node, "'burst' of \(name) must be a whole number of at least 1")
            }
        }
        var onRedisDown = RateLimitPolicy.WhenRedisDown.open
        if let node = map["onRedisDown"] {
            if let text = node.scalar?.string, let value = RateLimitPolicy.WhenRedisDown(rawValue: text) {
                onRedisDown = value
            } else {
                report(node, "'onRedisDown' of \(name) must be open or closed")
            }
        }
        guard let perSecond, let burst else { return nil }
        return RateLimitPolicy(perSecond: perSecond, burst: burst, onRedisDown: onRedisDown)
    }

    /// Checks the credential fields against `kind` and resolves every `env:NAME`.
    private mutating func parseCredentials(_ map: Node.Mapping, kind: SourceKind, in name: String) -> ProviderCredentials? {
        let needed = CredentialField.required(for: kind)
        let errorsBefore = errors.count
        for (key, _) in map {
            guard let keyName = key.scalar?.string else { continue }
            let field = keyName == "secrets" ? CredentialField.secret : CredentialField(rawValue: keyName)
            if let field, !needed.contains(field) {
                report(key, "kind '\(kind.rawValue)' takes no '\(keyName)' (\(name))")
            }
        }
        if map["secret"] != nil, map["secrets"] != nil {
            report(Self.line(.mapping(map)), "\(name) has both 'secret' and 'secrets'; use 'secrets' alone during a rotation")
        }

        var credentials = ProviderCredentials()
        for field in needed {
            switch field {
            case .secret:
                if let node = map["secrets"] {
                    guard let items = sequence(node, what: "'secrets' of \(name)") else { continue }
                    if items.isEmpty { report(node, "'secrets' of \(name) must not be empty") }
                    credentials.secrets = items.compactMap { resolveSecret($0, key: "secrets", in: name) }
                } else if let node = requiredCredential(map, field, kind: kind, in: name) {
                    credentials.secrets = resolveSecret(node, key: "secret", in: name).map { [$0] } ?? []
                }
                if kind == .standardWebhooks {
                    for (index, secret) in credentials.secrets.enumerated() where !Self.isStandardWebhooksSecret(secret) {
                        report(
                            Self.line(map["secrets"] ?? map["secret"] ?? .mapping(map)),
                            "secret \(index + 1) of \(name) is not a Standard Webhooks secret (whsec_ followed by base64)")
                    }
                }
            case .publicKey:
                guard let node = requiredCredential(map, field, kind: kind, in: name) else { continue }
                credentials.publicKey = resolveSecret(node, key: field.rawValue, in: name)
                if let key = credentials.publicKey, Data(base64Encoded: key)?.isEmpty ?? true {
                    report(node, "'publicKey' of \(name) must be the base64 verification key as SendGrid shows it")
                }
            case .verifyToken:
                guard let node = requiredCredential(map, field, kind: kind, in: name) else { continue }
                credentials.verifyToken = resolveSecret(node, key: field.rawValue, in: name)
            case .certificate:
                guard let node = requiredCredential(map, field, kind: kind, in: name) else { continue }
                credentials.certificatePEM = resolveSecret(node, key: field.rawValue, in: name)
                if let pem = credentials.certificatePEM, !pem.contains("-----BEGIN CERTIFICATE-----") {
                    report(node, "'certificate' of \(name) must hold a PEM certificate (-----BEGIN CERTIFICATE-----)")
                }
            case .topicArn:
                guard let node = requiredCredential(map, field, kind: kind, in: name) else { continue }
                credentials.topicArn = resolvePlainOrSecret(node, key: field.rawValue, in: name)
            case .basicAuth:
                guard let node = requiredCredential(map, field, kind: kind, in: name) else { continue }
                let items: [Node] = if case .sequence(let list) = node { Array(list) } else { [node] }
                if items.isEmpty { report(node, "'basicAuth' of \(name) must not be empty") }
                credentials.basicAuth = items.compactMap { resolveSecret($0, key: "basicAuth", in: name) }
                if credentials.basicAuth.contains(where: { !$0.contains(":") }) {
                    report(node, "'basicAuth' of \(name) must resolve to user:password")
                }
            }
        }
        return errors.count == errorsBefore ? credentials : nil
    }

    private mutating func requiredCredential(
        _ map: Node.Mapping, _ field: CredentialField, kind: SourceKind, in name: String
    ) -> Node? {
        guard let node = map[field.rawValue], !Self.isNull(node) else {
            report(Self.line(.mapping(map)), "\(name) of kind '\(kind.rawValue)' needs '\(field.rawValue)'")
            return nil
        }
        return node
    }

    /// Resolves `env:NAME`. Anything else is refused without repeating it: a value written in
    /// clear is most likely the secret itself, and messages end up in CI logs.
    mutating func resolveSecret(_ node: Node, key: String, in name: String) -> String? {
        guard case .scalar(let scalar) = node, !Self.isNull(node) else {
            report(node, "'\(key)' of \(name) must be env:NAME")
            return nil
        }
        guard scalar.string.hasPrefix("env:") else {
            report(node, "'\(key)' of \(name) must be env:NAME; secrets are never written in route files")
            return nil
        }
        return resolveEnvironment(node, reference: scalar.string, key: key, in: name)
    }

    /// `topicArn` is not secret, so it may be written plainly or as `env:NAME`.
    private mutating func resolvePlainOrSecret(_ node: Node, key: String, in name: String) -> String? {
        guard let text = scalarString(node, what: "'\(key)' of \(name)") else { return nil }
        return text.hasPrefix("env:") ? resolveEnvironment(node, reference: text, key: key, in: name) : text
    }

    private mutating func resolveEnvironment(_ node: Node, reference: String, key: String, in name: String) -> String? {
        let variable = String(reference.dropFirst("env:".count)).trimmingCharacters(in: .whitespaces)
        guard Self.isVariableName(variable) else {
            report(node, "'\(key)' of \(name): env: must be followed by a variable name (letters, digits and _)")
            return nil
        }
        guard let value = environment[variable] else {
            report(node, "environment variable \(variable) is not set ('\(key)' of \(name))")
            return nil
        }
        guard !value.isEmpty else {
            report(node, "environment variable \(variable) is empty ('\(key)' of \(name))")
            return nil
        }
        return value
    }

    private static func isVariableName(_ text: String) -> Bool {
        guard let first = text.utf8.first, !(first >= 0x30 && first <= 0x39) else { return false }
        return text.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F
        }
    }

    private static func isStandardWebhooksSecret(_ secret: String) -> Bool {
        guard secret.hasPrefix("whsec_") else { return false }
        return !(Data(base64Encoded: String(secret.dropFirst("whsec_".count)))?.isEmpty ?? true)
    }
}

extension JSONValue {
    /// Ints as doubles, so a rate written `500` or `0.5` reads the same.
    fileprivate var normalisedNumber: JSONValue? {
        switch self {
        case .int(let i): return .double(Double(i))
        case .double: return self
        default: return nil
        }
    }
}
