/// The answer of a provider's verification scheme. A `reason` names the check that failed so it
/// can be logged and counted; it never contains a secret or a computed signature.
public enum ProviderVerification: Sendable, Hashable {
    case verified
    case rejected(reason: String)
    /// A subscription handshake (WhatsApp's `GET hub.challenge`) to answer with `200` and this body;
    /// nothing is stored.
    case handshake(responseBody: [UInt8], contentType: String)

    public var isVerified: Bool { self == .verified }
}
