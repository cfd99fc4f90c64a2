import Foundation
import InletAuth
import InletModel
import Normalize
import Testing

@Suite struct TwilioTests {
    static let token = "12345abcdef"
    static let params: [(String, String)] = [
        ("MessageStatus", "delivered"), ("ApiVersion", "2010-04-01"), ("SmsSid", "SM1f0e8ae6ade43cb3c0ce4525424e404f"),
        ("SmsStatus", "delivered"), ("To", "+15558675310"), ("MessageSid", "SM1f0e8ae6ade43cb3c0ce4525424e404f"),
        ("AccountSid", "AC25e16e9a716a4a1786a7c83f58e30482"), ("From", "+15017122661"),
    ]
    static let body = params.map { "\($0.0)=\($0.1.replacingOccurrences(of: "+", with: "%2B"))" }.joined(separator: "&")
    static let path = "/v1/hooks/acme-twilio?tenant=acme"

    /// Twilio's documented algorithm: full URL, then each parameter sorted by name, name + value.
    static func sign(url: String, params: [(String, String)], token: String) -> String {
        TestSigner.hmacSHA1Base64(key: token, url + params.sorted { $0.0 < $1.0 }.map { $0.0 + $0.1 }.joined())
    }

    func verify(_ body: [UInt8], signature: String?, secrets: [String] = [token], path: String = path, publicURL: String = "https://hooks.example.com") -> ProviderVerification {
        var headers = [("Content-Type", "application/x-www-form-urlencoded")]
        if let signature { headers.append(("X-Twilio-Signature", signature)) }
        return ProviderVerifier.verify(
            kind: .twilio, request: TestSigner.request(path: path, headers: headers, body: body, publicURL: publicURL),
            credentials: ProviderCredentials(secrets: secrets), now: TestSigner.now)
    }

    @Test func acceptsAValidSignature() {
        let signature = Self.sign(url: "https://hooks.example.com" + Self.path, params: Self.params, token: Self.token)
        #expect(verify(Self.body.bytes, signature: signature) == .verified)
    }

    @Test func acceptsTheURLSignedWithTheDefaultPort() {
        let signature = Self.sign(url: "https://hooks.example.com:443" + Self.path, params: Self.params, token: Self.token)
        #expect(verify(Self.body.bytes, signature: signature) == .verified)
    }

    @Test func rejectsAFlippedBitWrongSecretAndWrongURL() {
        let signature = Self.sign(url: "https://hooks.example.com" + Self.path, params: Self.params, token: Self.token)
        #expect(verify(Self.body.flippingBit(at: 20), signature: signature).rejectionReason == "twilio: signature mismatch")
        #expect(verify(Self.body.bytes, signature: signature, secrets: ["other"]).rejectionReason == "twilio: signature mismatch")
        #expect(verify(Self.body.bytes, signature: signature, publicURL: "http://10.0.0.5:8443").rejectionReason == "twilio: signature mismatch")
    }

    @Test func acceptsTheSecondOfTwoRotatedTokens() {
        let signature = Self.sign(url: "https://hooks.example.com" + Self.path, params: Self.params, token: "new-token")
        #expect(verify(Self.body.bytes, signature: signature, secrets: [Self.token, "new-token"]) == .verified)
    }

    @Test func rejectsMissingAndMalformedHeaders() {
        #expect(verify(Self.body.bytes, signature: nil).rejectionReason == "twilio: missing X-Twilio-Signature")
        #expect(verify(Self.body.bytes, signature: "not base64!").rejectionReason == "twilio: malformed X-Twilio-Signature")
        #expect(verify(Self.body.bytes, signature: "c2hvcnQ=").rejectionReason == "twilio: malformed X-Twilio-Signature")
    }

    @Test("a form the caller parsed already is signed as the body is; the signature still covers the URL")
    func acceptsAFormParsedByTheCaller() {
        let signature = Self.sign(url: "https://hooks.example.com" + Self.path, params: Self.params, token: Self.token)
        func verify(form: [(String, String)]?, publicURL: String = "https://hooks.example.com") -> ProviderVerification {
            var request = TestSigner.request(path: Self.path, headers: [("X-Twilio-Signature", signature)], body: Self.body.bytes, publicURL: publicURL)
            request.form = form
            return ProviderVerifier.verify(kind: .twilio, request: request, credentials: ProviderCredentials(secrets: [Self.token]), now: TestSigner.now)
        }
        #expect(verify(form: FormURLEncoded.parse(Self.body.bytes)) == .verified)
        #expect(verify(form: FormURLEncoded.parse(Self.body.bytes), publicURL: "https://other.example.com").rejectionReason == "twilio: signature mismatch")
        // Without a form handed over, the verifier parses the body itself.
        #expect(verify(form: nil) == .verified)
    }

    @Test func verifiesJSONBodiesThroughBodySHA256() {
        let json = #"{"MessageSid":"SM1","MessageStatus":"sent"}"#
        let path = "/v1/hooks/acme-twilio?bodySHA256=" + TestSigner.sha256Hex(json.bytes)
        let signature = Self.sign(url: "https://hooks.example.com" + path, params: [], token: Self.token)
        #expect(verify(json.bytes, signature: signature, path: path) == .verified)
        #expect(verify(json.flippingBit(at: 5), signature: signature, path: path).rejectionReason == "twilio: bodySHA256 does not match the body")
    }

    // MARK: normalisation

    static let context = DeliveryContext(tenantId: "acme", sourceId: "acme-twilio", receivedAt: TestSigner.now)

    func normalize(_ body: String) throws -> [DeliveryEvent] {
        try ProviderNormalizer.normalize(kind: .twilio, body: body.bytes, contentType: "application/x-www-form-urlencoded", context: Self.context).events
    }

    @Test(arguments: [
        ("accepted", "queued"), ("scheduled", "queued"), ("queued", "queued"), ("sending", "queued"), ("sent", "sent"),
        ("delivered", "delivered"), ("undelivered", "failed"), ("failed", "failed"), ("read", "read"),
        ("receiving", "queued"), ("received", "delivered"), ("canceled", "dropped"),
    ])
    func mapsEveryStatus(_ word: String, _ canonical: String) throws {
        let events = try normalize("MessageSid=SM1&MessageStatus=\(word)&To=%2B15558675310&From=%2B15017122661")
        let document = try #require(events.first?.document)
        #expect(document["status"] == .string(canonical))
        #expect(document["providerStatus"] == .string(word))
        #expect(document["channel"] == "sms")
        #expect(document["occurredAt"] == .date(TestSigner.now))
    }

    @Test func readsWhatsAppErrorsAndKeepsTheFormAsRaw() throws {
        let events = try normalize("MessageSid=SM9&MessageStatus=undelivered&ErrorCode=63016&To=whatsapp%3A%2B15558675310&From=whatsapp%3A%2B14155238886")
        let document = try #require(events.first?.document)
        #expect(document["channel"] == "whatsapp")
        #expect(document["recipient"] == "+15558675310")
        #expect(document["providerMessageId"] == "SM9")
        #expect(document["error"] == ["code": "63016", "message": nil, "permanent": true])
        #expect(document["raw"]?["ErrorCode"] == "63016")
        #expect(document["tenantId"] == "acme")
        #expect(document["sourceId"] == "acme-twilio")
    }

    @Test func dedupKeyIsStableAcrossReplays() throws {
        let body = "MessageSid=SM1&MessageStatus=delivered&To=%2B1555"
        let first = try normalize(body)
        let later = try ProviderNormalizer.normalize(
            kind: .twilio, body: body.bytes, contentType: nil,
            context: DeliveryContext(tenantId: "acme", sourceId: "acme-twilio", receivedAt: TestSigner.now + 60)).events
        #expect(first.map(\.dedupKey) == ["twilio:SM1:delivered"])
        #expect(later.map(\.dedupKey) == first.map(\.dedupKey))
    }

    @Test("a form the caller parsed already gives the same event as the body")
    func normalizesAFormParsedByTheCaller() throws {
        let body = "MessageSid=SM1&MessageStatus=delivered&To=%2B1555"
        let parsed = try ProviderNormalizer.normalize(kind: .twilio, body: body.bytes, contentType: nil, context: Self.context,
                                                      form: FormURLEncoded.parse(body.bytes)).events
        #expect(parsed == (try normalize(body)))
    }

    @Test func malformedFormIsABadRequest() {
        #expect(throws: InletError.self) { try normalize("MessageSid=%zz") }
        #expect(throws: InletError.self) { try normalize("MessageStatus=sent") }
    }
}
