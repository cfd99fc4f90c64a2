import Crypto
import Foundation
import InletAuth
import InletModel
import Normalize
import Testing

@Suite struct SendGridTests {
    static let body = #"""
    [{"email":"example@test.com","timestamp":1699999990,"smtp-id":"<14c5d75ce93.dfd.64b469@ismtpd-555>","event":"processed","category":["cat facts"],"sg_event_id":"rbtnWrG1DVDGGGFHFyun0A==","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000000000000000","campaign":"cmp_123"},
     {"email":"example@test.com","timestamp":1699999995,"event":"delivered","sg_event_id":"xKrnWrG1DVDGGGFHFyun0B==","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000000000000000","response":"250 OK","campaign":"cmp_123"},
     {"email":"example@test.com","timestamp":1699999999,"event":"open","sg_machine_open":false,"useragent":"Mozilla/4.0","ip":"255.255.255.255","sg_event_id":"zmzJhfJgAfUSOW80yEbPyw==","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000000000000000","campaign":"cmp_123"}]
    """#

    static func sign(_ body: [UInt8], timestamp: String, key: P256.Signing.PrivateKey) throws -> String {
        try key.signature(for: Data(timestamp.utf8) + Data(body)).derRepresentation.base64EncodedString()
    }

    func verify(_ body: [UInt8], signature: String?, timestamp: String?, publicKey: P256.Signing.PublicKey) -> ProviderVerification {
        var headers: [(String, String)] = [("Content-Type", "application/json")]
        if let signature { headers.append(("X-Twilio-Email-Event-Webhook-Signature", signature)) }
        if let timestamp { headers.append(("X-Twilio-Email-Event-Webhook-Timestamp", timestamp)) }
        return ProviderVerifier.verify(
            kind: .sendgrid, request: TestSigner.request(headers: headers, body: body),
            credentials: ProviderCredentials(publicKey: publicKey.derRepresentation.base64EncodedString()), now: TestSigner.now)
    }

    @Test func acceptsAValidSignatureAndRejectsTampering() throws {
        let key = P256.Signing.PrivateKey()
        let timestamp = TestSigner.nowSeconds
        let signature = try Self.sign(Self.body.bytes, timestamp: timestamp, key: key)
        #expect(verify(Self.body.bytes, signature: signature, timestamp: timestamp, publicKey: key.publicKey) == .verified)
        #expect(verify(Self.body.flippingBit(at: 40), signature: signature, timestamp: timestamp, publicKey: key.publicKey).rejectionReason == "sendgrid: signature mismatch")
        #expect(verify(Self.body.bytes, signature: signature, timestamp: timestamp, publicKey: P256.Signing.PrivateKey().publicKey).rejectionReason == "sendgrid: signature mismatch")
    }

    @Test func rejectsStaleAndMalformedTimestamps() throws {
        let key = P256.Signing.PrivateKey()
        let stale = String(Int(TestSigner.now.timeIntervalSince1970) - 301)
        let signature = try Self.sign(Self.body.bytes, timestamp: stale, key: key)
        #expect(verify(Self.body.bytes, signature: signature, timestamp: stale, publicKey: key.publicKey).rejectionReason == "sendgrid: timestamp outside tolerance")
        #expect(verify(Self.body.bytes, signature: signature, timestamp: "17e8", publicKey: key.publicKey).rejectionReason == "sendgrid: malformed timestamp header")
        #expect(verify(Self.body.bytes, signature: signature, timestamp: nil, publicKey: key.publicKey).rejectionReason == "sendgrid: missing X-Twilio-Email-Event-Webhook-Timestamp")
    }

    @Test func rejectsMalformedSignatures() {
        let key = P256.Signing.PrivateKey()
        #expect(verify(Self.body.bytes, signature: "%%%", timestamp: TestSigner.nowSeconds, publicKey: key.publicKey).rejectionReason == "sendgrid: malformed signature header")
        #expect(verify(Self.body.bytes, signature: "AAAA", timestamp: TestSigner.nowSeconds, publicKey: key.publicKey).rejectionReason == "sendgrid: malformed signature header")
        #expect(verify(Self.body.bytes, signature: nil, timestamp: TestSigner.nowSeconds, publicKey: key.publicKey).rejectionReason == "sendgrid: missing X-Twilio-Email-Event-Webhook-Signature")
    }

    // MARK: normalisation

    static let context = DeliveryContext(tenantId: "acme", sourceId: "acme-sendgrid", receivedAt: TestSigner.now)

    func normalize(_ body: String) throws -> [DeliveryEvent] {
        try ProviderNormalizer.normalize(kind: .sendgrid, body: body.bytes, contentType: "application/json", context: Self.context).events
    }

    @Test func aBatchOfThreeBecomesThreeEventsWithCustomArgs() throws {
        let events = try normalize(Self.body)
        #expect(events.map { $0.document["status"] } == ["sent", "delivered", "opened"])
        #expect(events.map(\.providerEventId) == ["rbtnWrG1DVDGGGFHFyun0A==", "xKrnWrG1DVDGGGFHFyun0B==", "zmzJhfJgAfUSOW80yEbPyw=="])
        #expect(events.map(\.dedupKey) == ["sendgrid:rbtnWrG1DVDGGGFHFyun0A==", "sendgrid:xKrnWrG1DVDGGGFHFyun0B==", "sendgrid:zmzJhfJgAfUSOW80yEbPyw=="])
        let first = try #require(events.first?.document)
        #expect(first["metadata"]?["customArgs"] == ["campaign": "cmp_123"])
        #expect(first["metadata"]?["category"] == ["cat facts"])
        #expect(first["recipient"] == "example@test.com")
        #expect(first["channel"] == "email")
        #expect(first["occurredAt"] == .date(Date(timeIntervalSince1970: 1_699_999_990)))
        #expect(first["raw"]?["smtp-id"] == "<14c5d75ce93.dfd.64b469@ismtpd-555>")
        #expect(try normalize(Self.body).map(\.dedupKey) == events.map(\.dedupKey))
    }

    @Test(arguments: [
        ("processed", "sent"), ("deferred", "deferred"), ("delivered", "delivered"), ("open", "opened"), ("click", "clicked"),
        ("bounce", "bounced"), ("dropped", "dropped"), ("spamreport", "complained"), ("unsubscribe", "unsubscribed"),
        ("group_unsubscribe", "unsubscribed"),
    ])
    func mapsEveryStatus(_ word: String, _ canonical: String) throws {
        let events = try normalize(#"[{"email":"a@b.c","timestamp":1,"event":"\#(word)","sg_event_id":"e1","sg_message_id":"m1"}]"#)
        #expect(events.first?.document["status"] == .string(canonical))
        #expect(events.first?.document["providerStatus"] == .string(word))
    }

    @Test func resubscribesAreSkipped() throws {
        #expect(try normalize(#"[{"email":"a@b.c","timestamp":1,"event":"group_resubscribe","sg_event_id":"e1"}]"#).isEmpty)
    }

    @Test func errorsCarryPermanence() throws {
        let events = try normalize(#"""
        [{"email":"a@b.c","timestamp":1,"event":"bounce","type":"bounce","status":"5.0.0","reason":"550 no such user","sg_event_id":"e1"},
         {"email":"a@b.c","timestamp":1,"event":"bounce","type":"blocked","status":"4.0.0","reason":"blocked","sg_event_id":"e2"},
         {"email":"a@b.c","timestamp":1,"event":"deferred","response":"400 try again later","attempt":"5","sg_event_id":"e3"},
         {"email":"a@b.c","timestamp":1,"event":"dropped","reason":"Bounced Address","status":"5.0.0","sg_event_id":"e4"}]
        """#)
        #expect(events.map { $0.document["error"]?["permanent"] } == [true, false, false, true])
        #expect(events[0].document["error"] == ["code": "5.0.0", "message": "550 no such user", "permanent": true])
    }

    @Test func malformedPayloadsAreBadRequests() {
        #expect(throws: InletError.self) { try normalize(#"{"event":"open"}"#) }
        #expect(throws: InletError.self) { try normalize(#"[{"email":"a@b.c"}]"#) }
        #expect(throws: InletError.self) { try normalize("[{") }
    }
}
