import Foundation
import InletModel

/// Turns a verified provider callback into `deliveryEvents` documents with one canonical status
/// vocabulary. Pure: bytes and a context in, documents out. A status word a provider adds later
/// is skipped rather than refused, because refusing would make the provider retry the whole
/// callback forever; a body that is not the provider's shape is a `400`.
public enum ProviderNormalizer {
    /// `form`: the body already parsed as a form, when the caller has it (Twilio's verification
    /// parses it too); `nil` parses it here where a provider posts forms.
    public static func normalize(
        kind: SourceKind, body: [UInt8], contentType: String?, context: DeliveryContext, form: [(String, String)]? = nil
    ) throws(InletError) -> ProviderPayload {
        switch kind {
        case .twilio: return ProviderPayload(events: try twilio(form ?? FormURLEncoded.parse(body)).map { $0.event(context) })
        case .sendgrid: return ProviderPayload(events: try sendGrid(try json(body, kind)).map { $0.event(context) })
        case .mailgun: return ProviderPayload(events: try mailgun(try json(body, kind)).map { $0.event(context) })
        case .whatsapp: return ProviderPayload(events: try whatsApp(try json(body, kind)).map { $0.event(context) })
        case .ses: return try ses(try json(body, kind), context: context)
        case .postmark: return ProviderPayload(events: try postmark(try json(body, kind)).map { $0.event(context) })
        case .standardWebhooks:
            return ProviderPayload(events: try standardWebhooks(try json(body, kind), context: context).map { $0.event(context) })
        case .events, .imports:
            throw InletError.badRequest("not_a_provider", "source kind \(kind.rawValue) does not take provider callbacks")
        }
    }

    static func json(_ body: [UInt8], _ kind: SourceKind) throws(InletError) -> JSONValue {
        do {
            return try JSONParser.parse(body)
        } catch {
            throw malformed(kind, "body is not valid JSON (\(error.description))")
        }
    }

    static func malformed(_ kind: SourceKind, _ message: String) -> InletError {
        InletError.badRequest("malformed_callback", "\(kind.rawValue): \(message)")
    }

    /// A string field, or a number written as text (providers mix the two for codes and ids).
    static func text(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let s)?: return s.isEmpty ? nil : s
        case .int(let i)?: return String(i)
        case .double(let d)? where d.isFinite: return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        default: return nil
        }
    }
}
