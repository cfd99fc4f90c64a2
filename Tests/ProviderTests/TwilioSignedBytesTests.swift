import Foundation
import InletAuth
import InletModel
import Testing

/// The bytes Twilio signs are built in one buffer; these check the orders and URL forms that
/// buffer is built from against Twilio's algorithm, signed here independently.
@Suite struct TwilioSignedBytesTests {
    static let token = "12345abcdef"

    func verify(_ params: [(String, String)], path: String = "/v1/hooks/acme-twilio", publicURL: String = "https://hooks.example.com",
                signedURL: String = "https://hooks.example.com/v1/hooks/acme-twilio", secrets: [String] = [token],
                signingToken: String = token) -> ProviderVerification {
        let body = params.map { "\(Self.escape($0.0))=\(Self.escape($0.1))" }.joined(separator: "&")
        let signature = Self.sign(url: signedURL, params: params, token: signingToken)
        let request = TestSigner.request(path: path, headers: [("X-Twilio-Signature", signature)], body: Array(body.utf8),
                                         publicURL: publicURL)
        return ProviderVerifier.verify(kind: .twilio, request: request, credentials: ProviderCredentials(secrets: secrets),
                                       now: TestSigner.now)
    }

    /// Twilio's algorithm as its libraries run it: parameters sorted by name, a name's values sorted too.
    static func sign(url: String, params: [(String, String)], token: String) -> String {
        TestSigner.hmacSHA1Base64(key: token, url + params.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map { $0.0 + $0.1 }.joined())
    }

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }

    @Test func sortedAndUnsortedBodiesVerify() {
        let sorted = [("AccountSid", "AC1"), ("Body", "hello world"), ("MessageSid", "SM1"), ("To", "+1555")]
        #expect(verify(sorted) == .verified)
        #expect(verify(sorted.reversed()) == .verified)
        #expect(verify([sorted[2], sorted[0], sorted[3], sorted[1]]) == .verified)
    }

    @Test("a repeated name is signed once per value, its values in order")
    func repeatedNamesSortByValue() {
        #expect(verify([("To", "b"), ("From", "x"), ("To", "a")]) == .verified)
        #expect(verify([("To", "a"), ("To", "b")]) == .verified)
    }

    @Test func nonASCIIParametersAreSignedAsUTF8() {
        #expect(verify([("Body", "café 🙂"), ("Émoji", "€"), ("A", "z")]) == .verified)
    }

    @Test("a public URL with trailing slashes and a path without its leading one")
    func urlForms() {
        #expect(verify([("A", "1")], publicURL: "https://hooks.example.com//") == .verified)
        #expect(verify([("A", "1")], path: "v1/hooks/acme-twilio", publicURL: "https://hooks.example.com") == .verified)
        #expect(verify([("A", "1")], path: "/v1/hooks/acme-twilio?x=%2B1", signedURL: "https://hooks.example.com/v1/hooks/acme-twilio?x=%2B1")
            == .verified)
    }

    @Test("the default-port variants are tried with the parameters too, for every secret")
    func defaultPortVariantWithSeveralSecrets() {
        let params = [("MessageSid", "SM1"), ("AccountSid", "AC1")]
        #expect(verify(params, signedURL: "https://hooks.example.com:443/v1/hooks/acme-twilio", secrets: ["old", Self.token]) == .verified)
        #expect(verify(params, publicURL: "https://hooks.example.com:443/", signedURL: "https://hooks.example.com/v1/hooks/acme-twilio",
                       secrets: ["old", "older", Self.token]) == .verified)
        #expect(verify(params, signedURL: "https://hooks.example.com:8443/v1/hooks/acme-twilio").rejectionReason
            == "twilio: signature mismatch")
    }

    @Test func noSecretMatchesIsAMismatch() {
        #expect(verify([("A", "1")], secrets: ["one", "two", "three"]).rejectionReason == "twilio: signature mismatch")
    }
}
