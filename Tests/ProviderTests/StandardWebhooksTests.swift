import Foundation
import InletAuth
import InletModel
import Normalize
import Testing

@Suite struct StandardWebhooksTests {
    static let keyBytes = Array("a-32-byte-test-secret-for-hmacs!".utf8)
    static let secret = "whsec_" + Data(keyBytes).base64EncodedString()
    static let id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"
    static let body = #"{"type":"email.delivered","timestamp":"2023-11-14T22:13:15.000Z","data":{"email_id":"4ef9a417-02e9-4d39-ad75-9611e0fcc33c","to":["delivered@resend.dev"],"tags":{"campaign":"cmp_123"}}}"#

    static func sign(key: [UInt8] = keyBytes, id: String = id, timestamp: String, body: String = body) -> String {
        "v1," + TestSigner.hmacSHA256Base64(key: key, Data("\(id).\(timestamp).\(body)".utf8))
    }

    func verify(_ body: [UInt8], signature: String, timestamp: String = TestSigner.nowSeconds, secrets: [String] = [secret]) -> ProviderVerification {
        ProviderVerifier.verify(
            kind: .standardWebhooks,
            request: TestSigner.request(headers: [("webhook-id", Self.id), ("webhook-timestamp", timestamp), ("webhook-signature", signature)], body: body),
            credentials: ProviderCredentials(secrets: secrets), now: TestSigner.now)
    }

    @Test func signatureChecks() {
        let good = Self.sign(timestamp: TestSigner.nowSeconds)
        #expect(verify(Self.body.bytes, signature: good) == .verified)
        #expect(verify(Self.body.flippingBit(at: 30), signature: good).rejectionReason == "standard-webhooks: signature mismatch")
        #expect(verify(Self.body.bytes, signature: good, secrets: ["whsec_" + Data("another-secret-of-32-bytes-long!".utf8).base64EncodedString()]).rejectionReason == "standard-webhooks: signature mismatch")
    }

    @Test func severalSignaturesAndSecretsForRotation() {
        let newKey = Array("the-new-secret-after-rotation-42".utf8)
        let both = Self.sign(key: newKey, timestamp: TestSigner.nowSeconds) + " " + Self.sign(timestamp: TestSigner.nowSeconds)
        #expect(verify(Self.body.bytes, signature: both) == .verified)
        let onlyNew = Self.sign(key: newKey, timestamp: TestSigner.nowSeconds)
        #expect(verify(Self.body.bytes, signature: onlyNew, secrets: [Self.secret, "whsec_" + Data(newKey).base64EncodedString()]) == .verified)
    }

    @Test func staleAndMalformedHeadersAreRejected() {
        let stale = String(Int(TestSigner.now.timeIntervalSince1970) - 301)
        #expect(verify(Self.body.bytes, signature: Self.sign(timestamp: stale), timestamp: stale).rejectionReason == "standard-webhooks: timestamp outside tolerance")
        #expect(verify(Self.body.bytes, signature: "v1", timestamp: TestSigner.nowSeconds).rejectionReason == "standard-webhooks: malformed webhook-signature")
        #expect(verify(Self.body.bytes, signature: "v1,@@not-base64@@").rejectionReason == "standard-webhooks: malformed webhook-signature")
        #expect(verify(Self.body.bytes, signature: Self.sign(timestamp: TestSigner.nowSeconds), timestamp: "12x").rejectionReason == "standard-webhooks: malformed webhook-timestamp")
        #expect(verify(Self.body.bytes, signature: Self.sign(timestamp: TestSigner.nowSeconds), secrets: ["whsec_%%%"]).rejectionReason == "standard-webhooks: no valid whsec_ secret configured")
    }

    // MARK: normalisation

    func normalize(_ body: String, id: String? = id) throws -> [DeliveryEvent] {
        let context = DeliveryContext(tenantId: "acme", sourceId: "acme-sw", receivedAt: TestSigner.now, headerEventId: id)
        return try ProviderNormalizer.normalize(kind: .standardWebhooks, body: body.bytes, contentType: "application/json", context: context).events
    }

    @Test func readsTheEnvelopeAndUsesTheWebhookIdAsIdentity() throws {
        let event = try #require(try normalize(Self.body).first)
        #expect(event.dedupKey == "standard-webhooks:" + Self.id)
        #expect(event.providerEventId == Self.id)
        #expect(event.document["status"] == "delivered")
        #expect(event.document["providerStatus"] == "email.delivered")
        #expect(event.document["recipient"] == "delivered@resend.dev")
        #expect(event.document["providerMessageId"] == "4ef9a417-02e9-4d39-ad75-9611e0fcc33c")
        #expect(event.document["metadata"]?["tags"] == ["campaign": "cmp_123"])
        #expect(try normalize(Self.body, id: nil).first?.dedupKey == "standard-webhooks:4ef9a417-02e9-4d39-ad75-9611e0fcc33c:delivered:2023-11-14T22:13:15.000Z")
    }

    @Test(arguments: [
        ("queued", "queued"), ("scheduled", "queued"), ("sent", "sent"), ("delivered", "delivered"), ("read", "read"),
        ("opened", "opened"), ("clicked", "clicked"), ("deferred", "deferred"), ("delivery_delayed", "deferred"),
        ("bounced", "bounced"), ("dropped", "dropped"), ("failed", "failed"), ("complained", "complained"),
        ("unsubscribed", "unsubscribed"),
    ])
    func mapsEveryStatusWord(_ word: String, _ canonical: String) throws {
        let document = try #require(try normalize(#"{"type":"message.\#(word)","data":{"id":"m1"}}"#).first?.document)
        #expect(document["status"] == .string(canonical))
    }

    @Test func otherTypesAreSkippedAndMalformedRefused() throws {
        #expect(try normalize(#"{"type":"contact.created","data":{}}"#).isEmpty)
        #expect(throws: InletError.self) { try normalize(#"{"data":{}}"#) }
        #expect(throws: InletError.self) { try normalize(#"{"type":"email.sent","data":{}}"#, id: nil) }
    }
}
