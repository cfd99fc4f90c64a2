import Foundation
import InletModel

/// Checks that a callback really comes from the provider a source is configured for, exactly as
/// that provider signs it, over the raw bytes received. Pure: no I/O, no clock except `now`, so
/// the server calls it on the event loop and tests call it with fixed times.
public enum ProviderVerifier {
    /// How far a signed timestamp may be from `now`, either way: providers' own libraries
    /// (Standard Webhooks, Stripe) use five minutes.
    public static let timestampTolerance: TimeInterval = 300

    public static func verify(kind: SourceKind, request: ProviderRequest, credentials: ProviderCredentials, now: Date) -> ProviderVerification {
        switch kind {
        case .twilio: return verifyTwilio(request, credentials)
        case .sendgrid: return verifySendGrid(request, credentials, now: now)
        case .mailgun: return verifyMailgun(request, credentials, now: now)
        case .whatsapp: return verifyWhatsApp(request, credentials)
        case .ses: return verifySES(request, credentials, now: now)
        case .postmark: return verifyPostmark(request, credentials)
        case .standardWebhooks: return verifyStandardWebhooks(request, credentials, now: now)
        case .events, .imports: return .rejected(reason: "source kind \(kind.rawValue) is not a provider")
        }
    }

    static func isFresh(_ seconds: Int64, now: Date) -> Bool {
        abs(Double(seconds) - now.timeIntervalSince1970) <= timestampTolerance
    }

    static func isFresh(_ date: Date, now: Date) -> Bool {
        abs(date.timeIntervalSince(now)) <= timestampTolerance
    }
}
