/// What a source of a route file receives, which decides how its requests are authenticated and read.
public enum SourceKind: String, Sendable, Hashable, CaseIterable {
    /// Segment-compatible SDK events, authenticated by write keys.
    case events
    /// Partner CSV uploads, authenticated by partner keys.
    case imports
    case twilio
    case sendgrid
    case mailgun
    case whatsapp
    case ses
    case postmark
    case standardWebhooks = "standard-webhooks"

    /// Whether requests to this source are provider callbacks on `/v1/hooks/{sourceId}`.
    public var isProvider: Bool {
        switch self {
        case .events, .imports: return false
        default: return true
        }
    }
}

/// A provider source's credentials with every `env:NAME` already resolved to its value.
/// Several secrets may be active at once during a rotation; verification accepts any of them.
/// Never logged: `description` hides every value.
public struct ProviderCredentials: Sendable, Hashable, CustomStringConvertible {
    /// HMAC secrets or auth tokens (twilio, mailgun, whatsapp, standard-webhooks).
    public var secrets: [String]
    /// SendGrid's verification key: base64 of the DER public key.
    public var publicKey: String?
    /// WhatsApp's `hub.verify_token`.
    public var verifyToken: String?
    /// SES/SNS signing certificate, PEM.
    public var certificatePEM: String?
    /// SES/SNS topic this source accepts (plain text in the route file).
    public var topicArn: String?
    /// Postmark's HTTP Basic credentials, each `user:password`.
    public var basicAuth: [String]

    public init(
        secrets: [String] = [], publicKey: String? = nil, verifyToken: String? = nil,
        certificatePEM: String? = nil, topicArn: String? = nil, basicAuth: [String] = []
    ) {
        self.secrets = secrets
        self.publicKey = publicKey
        self.verifyToken = verifyToken
        self.certificatePEM = certificatePEM
        self.topicArn = topicArn
        self.basicAuth = basicAuth
    }

    public var description: String { "ProviderCredentials(<redacted>)" }
}
