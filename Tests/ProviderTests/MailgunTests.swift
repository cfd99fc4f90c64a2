import Foundation
import InletAuth
import InletModel
import Normalize
import Testing

@Suite struct MailgunTests {
    static let key = "key-7e55d003b3d8e2b3d1f6c0f5a5d3c4b2"
    static let token = "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0"

    static func body(timestamp: String, signature: String, event: String = "opened", extra: String = "") -> String {
        #"""
        {"signature":{"timestamp":"\#(timestamp)","token":"\#(token)","signature":"\#(signature)"},
         "event-data":{"event":"\#(event)","timestamp":1699999990.329574,"id":"DACSsAdVSeGpLid7TN03WA","recipient":"alice@example.com",
          "message":{"headers":{"message-id":"20130503182626.18666.16540@example.com"}},"user-variables":{"campaign":"cmp_1"},"tags":["my_tag_1"]\#(extra)}}
        """#
    }

    static func signed(key: String = key, timestamp: String = TestSigner.nowSeconds, event: String = "opened", extra: String = "") -> String {
        body(timestamp: timestamp, signature: TestSigner.hmacSHA256Hex(key: Data(key.utf8), Data((timestamp + token).utf8)), event: event, extra: extra)
    }

    func verify(_ body: [UInt8], secrets: [String] = [key]) -> ProviderVerification {
        ProviderVerifier.verify(
            kind: .mailgun, request: TestSigner.request(headers: [("Content-Type", "application/json")], body: body),
            credentials: ProviderCredentials(secrets: secrets), now: TestSigner.now)
    }

    @Test func acceptsValidRejectsWrongSecretAndTamperedSignature() {
        #expect(verify(Self.signed().bytes) == .verified)
        #expect(verify(Self.signed().bytes, secrets: ["other"]).rejectionReason == "mailgun: signature mismatch")
        // Mailgun signs only timestamp + token, so the flipped bit is in the token (from byte 48).
        #expect(Array(Array(Self.signed().utf8)[48..<52]) == Array("a8ce".utf8))
        #expect(verify(Self.signed().flippingBit(at: 50)).rejectionReason == "mailgun: signature mismatch")
        let tampered = Self.body(timestamp: TestSigner.nowSeconds, signature: String(repeating: "0", count: 64))
        #expect(verify(tampered.bytes).rejectionReason == "mailgun: signature mismatch")
    }

    @Test func acceptsTheSecondRotatedKey() {
        #expect(verify(Self.signed(key: "new-key").bytes, secrets: [Self.key, "new-key"]) == .verified)
    }

    @Test func rejectsStaleAndMalformed() {
        let stale = String(Int(TestSigner.now.timeIntervalSince1970) + 400)
        #expect(verify(Self.signed(timestamp: stale).bytes).rejectionReason == "mailgun: timestamp outside tolerance")
        #expect(verify(Self.body(timestamp: "soon", signature: "00").bytes).rejectionReason == "mailgun: malformed timestamp")
        #expect(verify(Self.body(timestamp: TestSigner.nowSeconds, signature: "zz").bytes).rejectionReason == "mailgun: malformed signature")
        #expect(verify(#"{"event-data":{}}"#.bytes).rejectionReason == "mailgun: missing signature object")
        #expect(verify("not json".bytes).rejectionReason == "mailgun: missing signature object")
    }

    /// The endpoint parses the body once and hands the parse to the verifier and the normaliser.
    @Test func theCallersParseIsWhatIsVerifiedAndNormalised() throws {
        let parsed = try JSONParser.parse(Self.signed().bytes)
        var request = TestSigner.request(headers: [("Content-Type", "application/json")], body: Array("unparsed".utf8))
        request.json = parsed
        #expect(ProviderVerifier.verify(kind: .mailgun, request: request, credentials: ProviderCredentials(secrets: [Self.key]),
                                        now: TestSigner.now) == .verified)
        let events = try ProviderNormalizer.normalize(kind: .mailgun, body: Array("unparsed".utf8), contentType: "application/json",
                                                      context: Self.context, json: .success(parsed)).events
        #expect(events.map(\.document["status"]) == ["opened"])
        let failed = JSONParseError(code: "syntax", message: "unexpected byte", offset: 0)
        #expect(throws: InletError.self) {
            try ProviderNormalizer.normalize(kind: .mailgun, body: Self.signed().bytes, contentType: nil, context: Self.context,
                                             json: .failure(failed))
        }
    }

    // MARK: normalisation

    static let context = DeliveryContext(tenantId: "acme", sourceId: "acme-mailgun", receivedAt: TestSigner.now)

    func normalize(_ body: String) throws -> [DeliveryEvent] {
        try ProviderNormalizer.normalize(kind: .mailgun, body: body.bytes, contentType: "application/json", context: Self.context).events
    }

    @Test(arguments: [
        ("accepted", "", "sent"), ("rejected", "", "dropped"), ("delivered", "", "delivered"), ("opened", "", "opened"),
        ("clicked", "", "clicked"), ("unsubscribed", "", "unsubscribed"), ("complained", "", "complained"),
        ("failed", #","severity":"permanent","reason":"bounce""#, "bounced"),
        ("failed", #","severity":"temporary","reason":"generic""#, "deferred"),
        ("failed", #","severity":"permanent","reason":"suppress-bounce""#, "dropped"),
    ])
    func mapsEveryStatus(_ word: String, _ extra: String, _ canonical: String) throws {
        let events = try normalize(Self.signed(event: word, extra: extra))
        #expect(events.count == 1)
        #expect(events.first?.document["status"] == .string(canonical))
        #expect(events.first?.document["providerStatus"] == .string(word))
    }

    @Test func readsReferencesErrorsAndStableKeys() throws {
        let extra = #","severity":"permanent","reason":"bounce","delivery-status":{"code":550,"message":"","description":"No such mailbox"}"#
        let events = try normalize(Self.signed(event: "failed", extra: extra))
        let document = try #require(events.first?.document)
        #expect(document["error"] == ["code": "550", "message": "No such mailbox", "permanent": true])
        #expect(document["metadata"]?["userVariables"] == ["campaign": "cmp_1"])
        #expect(document["metadata"]?["tags"] == ["my_tag_1"])
        #expect(document["providerMessageId"] == "20130503182626.18666.16540@example.com")
        #expect(document["recipient"] == "alice@example.com")
        #expect(events.first?.dedupKey == "mailgun:DACSsAdVSeGpLid7TN03WA")
        #expect(try normalize(Self.signed(event: "failed", extra: extra)).first?.dedupKey == events.first?.dedupKey)
        #expect(throws: InletError.self) { try normalize(#"{"signature":{}}"#) }
    }
}
