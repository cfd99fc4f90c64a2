import InletModel

/// A provider callback as received, before anything is parsed: signatures are computed over
/// these exact bytes, so nothing here is normalised.
public struct ProviderRequest: Sendable {
    public var method: String
    /// The request target: path and query, as received (`/v1/hooks/acme-twilio?x=1`).
    public var path: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// `INLET_PUBLIC_URL`: the scheme and authority providers call, which Twilio signs.
    public var publicURL: String
    /// The body already parsed as a form by the caller, who needs it again to normalise (Twilio);
    /// `nil`: a verifier that needs the form parses the body itself.
    public var form: [(String, String)]?
    /// The body already parsed as JSON by the caller, who needs it again for the replay nonce and
    /// to normalise (Mailgun, SES); `nil`: a verifier that needs it parses the body itself.
    public var json: JSONValue?

    public init(method: String, path: String, headers: [(name: String, value: String)], body: [UInt8], publicURL: String,
                form: [(String, String)]? = nil, json: JSONValue? = nil) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.publicURL = publicURL
        self.form = form
        self.json = json
    }

    /// `json`, or the body parsed now; `nil` when it is not JSON.
    var parsedJSON: JSONValue? {
        json ?? (try? JSONParser.parse(body))
    }

    /// The first value of the header `name`, compared case-insensitively as HTTP field names are.
    public func header(_ name: String) -> String? {
        headers.first { Self.equalIgnoringASCIICase($0.name, name) }?.value
    }

    /// Field names are ASCII; compared byte by byte, without lowercasing copies of every header.
    static func equalIgnoringASCIICase(_ first: String, _ second: String) -> Bool {
        first.utf8.count == second.utf8.count && zip(first.utf8, second.utf8).allSatisfy { a, b in
            a == b || (a | 0x20 == b | 0x20 && (a | 0x20) >= UInt8(ascii: "a") && (a | 0x20) <= UInt8(ascii: "z"))
        }
    }

    /// The query string's pairs, or `nil` when it is not valid form encoding.
    public var queryItems: [(String, String)]? {
        guard let mark = path.utf8.firstIndex(of: UInt8(ascii: "?")) else { return [] }
        return FormURLEncoded.parse(Substring(path.utf8[path.utf8.index(after: mark)...]))
    }

    /// The media type of `Content-Type` without parameters, lowercased.
    var mediaType: String? {
        guard let value = header("content-type") else { return nil }
        let type = value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return type.trimmingCharacters(in: .whitespaces).lowercased()
    }
}
