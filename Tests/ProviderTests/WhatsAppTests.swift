import Foundation
import InletAuth
import InletModel
import Normalize
import Testing

@Suite struct WhatsAppTests {
    static let appSecret = "6f1c8a2e9b7d4c3a"
    static let body = #"""
    {"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp",
     "metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
     "statuses":[
      {"id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA","status":"delivered","timestamp":"1699999990","recipient_id":"16505551234",
       "conversation":{"id":"6ceb9d929c0c08e1e8f7b7e4e0d3c6a1","origin":{"type":"marketing"}},"pricing":{"billable":true,"pricing_model":"CBP","category":"marketing"},
       "biz_opaque_callback_data":"cmp_123"},
      {"id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUB","status":"failed","timestamp":"1699999995","recipient_id":"16505551235",
       "errors":[{"code":131049,"title":"This message was not delivered to maintain healthy ecosystem engagement.","message":"This message was not delivered to maintain healthy ecosystem engagement.","error_data":{"details":"In order to maintain a healthy ecosystem engagement, the message failed to be delivered."}}]}
     ]},"field":"messages"}]}]}
    """#

    func verify(_ body: [UInt8], header: String?, secrets: [String] = [appSecret]) -> ProviderVerification {
        var headers: [(String, String)] = [("Content-Type", "application/json")]
        if let header { headers.append(("X-Hub-Signature-256", header)) }
        return ProviderVerifier.verify(
            kind: .whatsapp, request: TestSigner.request(headers: headers, body: body),
            credentials: ProviderCredentials(secrets: secrets, verifyToken: "meatyhamhock"), now: TestSigner.now)
    }

    static func header(_ secret: String = appSecret) -> String {
        "sha256=" + TestSigner.hmacSHA256Hex(key: Data(secret.utf8), Data(body.utf8))
    }

    @Test func signatureChecks() {
        #expect(verify(Self.body.bytes, header: Self.header()) == .verified)
        #expect(verify(Self.body.flippingBit(at: 100), header: Self.header()).rejectionReason == "whatsapp: signature mismatch")
        #expect(verify(Self.body.bytes, header: Self.header(), secrets: ["wrong"]).rejectionReason == "whatsapp: signature mismatch")
        #expect(verify(Self.body.bytes, header: Self.header("rotated"), secrets: [Self.appSecret, "rotated"]) == .verified)
        #expect(verify(Self.body.bytes, header: nil).rejectionReason == "whatsapp: missing X-Hub-Signature-256")
        #expect(verify(Self.body.bytes, header: String(Self.header().dropFirst(7))).rejectionReason == "whatsapp: malformed X-Hub-Signature-256")
        #expect(verify(Self.body.bytes, header: "sha256=xyz").rejectionReason == "whatsapp: malformed X-Hub-Signature-256")
    }

    func handshake(_ query: String) -> ProviderVerification {
        ProviderVerifier.verify(
            kind: .whatsapp, request: TestSigner.request(method: "GET", path: "/v1/hooks/acme-wa?" + query, body: []),
            credentials: ProviderCredentials(secrets: [Self.appSecret], verifyToken: "meatyhamhock"), now: TestSigner.now)
    }

    @Test func handshakeEchoesTheChallengeOnlyForTheRightToken() {
        #expect(handshake("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock")
            == .handshake(responseBody: Array("1158201444".utf8), contentType: "text/plain; charset=utf-8"))
        #expect(handshake("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=wrong").rejectionReason == "whatsapp: hub.verify_token mismatch")
        #expect(handshake("hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=meatyhamhock").rejectionReason == "whatsapp: hub.mode is not subscribe")
        #expect(handshake("hub.mode=subscribe&hub.challenge=%zz").rejectionReason == "whatsapp: malformed query string")
    }

    // MARK: normalisation

    static let context = DeliveryContext(tenantId: "acme", sourceId: "acme-wa", receivedAt: TestSigner.now)

    func normalize(_ body: String) throws -> [DeliveryEvent] {
        try ProviderNormalizer.normalize(kind: .whatsapp, body: body.bytes, contentType: "application/json", context: Self.context).events
    }

    @Test func twoStatusesBecomeTwoEvents() throws {
        let events = try normalize(Self.body)
        #expect(events.map { $0.document["status"] } == ["delivered", "failed"])
        #expect(events.map { $0.document["channel"] } == ["whatsapp", "whatsapp"])
        #expect(events[0].document["metadata"]?["bizOpaqueCallbackData"] == "cmp_123")
        #expect(events[0].document["occurredAt"] == .date(Date(timeIntervalSince1970: 1_699_999_990)))
        #expect(events[1].document["recipient"] == "16505551235")
        #expect(events[1].document["error"]?["code"] == "131049")
        #expect(events[1].document["error"]?["permanent"] == true)
        #expect(events[0].dedupKey == "whatsapp:wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA:delivered:1699999990")
        #expect(try normalize(Self.body).map(\.dedupKey) == events.map(\.dedupKey))
    }

    @Test(arguments: [("sent", "sent"), ("delivered", "delivered"), ("read", "read"), ("played", "read"), ("failed", "failed")])
    func mapsEveryStatus(_ word: String, _ canonical: String) throws {
        let body = #"{"entry":[{"changes":[{"value":{"statuses":[{"id":"wamid.1","status":"\#(word)","timestamp":"1","recipient_id":"1"}]}}]}]}"#
        #expect(try normalize(body).first?.document["status"] == .string(canonical))
    }

    @Test func skipsDeletedAndInboundMessagesAndRefusesMalformed() throws {
        #expect(try normalize(#"{"entry":[{"changes":[{"value":{"statuses":[{"id":"wamid.1","status":"deleted","timestamp":"1"}]}}]}]}"#).isEmpty)
        #expect(try normalize(#"{"entry":[{"changes":[{"value":{"messages":[{"id":"wamid.2","type":"text"}]}}]}]}"#).isEmpty)
        #expect(throws: InletError.self) { try normalize(#"{"object":"whatsapp_business_account"}"#) }
        #expect(throws: InletError.self) { try normalize(#"{"entry":[{"changes":[{"value":{"statuses":[{"status":"sent"}]}}]}]}"#) }
    }
}
