import Foundation
import InletModel

/// Turns a verified provider callback into `deliveryEvents` documents with one canonical status
/// vocabulary. Pure: bytes and a context in, documents out. A status word a provider adds later
/// is skipped rather than refused, because refusing would make the provider retry the whole
/// callback forever; a body that is not the provider's shape is a `400`.
public enum ProviderNormalizer {
    /// `form` and `json`: the body already parsed, when the caller has it (the verifiers of
    /// Twilio, Mailgun and SES read it too); `nil` parses it here.
    public static func normalize(
        kind: SourceKind, body: [UInt8], contentType: String?, context: DeliveryContext, form: [(String, String)]? = nil,
        json: Result<JSONValue, JSONParseError>? = nil
    ) throws(InletError) -> ProviderPayload {
        func parsed() throws(InletError) -> JSONValue {
            try Self.json(json ?? Result { () throws(JSONParseError) in try JSONParser.parse(body) }, kind)
        }
        switch kind {
        case .twilio: return ProviderPayload(events: try twilio(form ?? FormURLEncoded.parse(body)).map { $0.event(context) })
        case .sendgrid: return ProviderPayload(events: try sendGrid(try parsed()).map { $0.event(context) })
        case .mailgun: return ProviderPayload(events: try mailgun(try parsed()).map { $0.event(context) })
        case .whatsapp: return ProviderPayload(events: try whatsApp(try parsed()).map { $0.event(context) })
        case .ses: return try ses(try parsed(), context: context)
        case .postmark: return ProviderPayload(events: try postmark(try parsed()).map { $0.event(context) })
        case .standardWebhooks:
            return ProviderPayload(events: try standardWebhooks(try parsed(), context: context).map { $0.event(context) })
        case .events, .imports:
            throw InletError.badRequest("not_a_provider", "source kind \(kind.rawValue) does not take provider callbacks")
        }
    }

    static func json(_ parsed: Result<JSONValue, JSONParseError>, _ kind: SourceKind) throws(InletError) -> JSONValue {
        switch parsed {
        case .success(let value): return value
        case .failure(let error): throw malformed(kind, "body is not valid JSON (\(error.description))")
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
