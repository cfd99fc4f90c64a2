import Foundation
import InletAuth
import InletModel
import Normalize
import Testing

@Suite struct PostmarkTests {
    func verify(_ authorization: String?, configured: [String] = ["postmark:s3cret"]) -> ProviderVerification {
        let headers = authorization.map { [("Authorization", $0)] } ?? []
        return ProviderVerifier.verify(
            kind: .postmark, request: TestSigner.request(headers: headers, body: Array(#"{"RecordType":"Delivery"}"#.utf8)),
            credentials: ProviderCredentials(basicAuth: configured), now: TestSigner.now)
    }

    static func basic(_ pair: String) -> String { "Basic " + Data(pair.utf8).base64EncodedString() }

    @Test func basicAuthChecks() {
        #expect(verify(Self.basic("postmark:s3cret")) == .verified)
        #expect(verify(Self.basic("postmark:s3cres")).rejectionReason == "postmark: credentials mismatch")
        #expect(verify(Self.basic("next:pass"), configured: ["postmark:s3cret", "next:pass"]) == .verified)
        #expect(verify(nil).rejectionReason == "postmark: missing Authorization")
        #expect(verify("Basic ***").rejectionReason == "postmark: malformed Authorization")
        #expect(verify("Bearer abc").rejectionReason == "postmark: malformed Authorization")
    }

    // MARK: normalisation

    static let context = DeliveryContext(tenantId: "acme", sourceId: "acme-postmark", receivedAt: TestSigner.now)

    func normalize(_ body: String) throws -> [DeliveryEvent] {
        try ProviderNormalizer.normalize(kind: .postmark, body: body.bytes, contentType: "application/json", context: Self.context).events
    }

    static let bounce = #"""
    {"RecordType":"Bounce","ID":4323372036854775807,"Type":"HardBounce","TypeCode":1,"Name":"Hard bounce","Tag":"Invitation",
     "MessageID":"883953f4-6105-42a2-a16a-77a8eac79483","ServerID":23,"MessageStream":"outbound","Description":"The server was unable to deliver your message (ex: unknown user, mailbox not found).",
     "Details":"Test bounce details","Email":"john@example.com","From":"sender@example.com","BouncedAt":"2019-11-05T16:33:54.9070259Z",
     "DumpAvailable":true,"Inactive":true,"CanActivate":true,"Subject":"Test subject","Metadata":{"campaign":"cmp_123"}}
    """#

    @Test func readsABounce() throws {
        let event = try #require(try normalize(Self.bounce).first)
        #expect(event.document["status"] == "bounced")
        #expect(event.document["recipient"] == "john@example.com")
        #expect(event.document["error"]?["permanent"] == true)
        #expect(event.document["error"]?["code"] == "1")
        #expect(event.document["metadata"]?["metadata"] == ["campaign": "cmp_123"])
        #expect(event.document["metadata"]?["tag"] == "Invitation")
        #expect(event.dedupKey == "postmark:bounce:4323372036854775807")
        #expect(event.document["occurredAt"] == .date(Date(timeIntervalSince1970: 1_572_971_634.9070259)))
        #expect(try normalize(Self.bounce).first?.dedupKey == event.dedupKey)
    }

    @Test(arguments: [
        (#""RecordType":"Delivery","Recipient":"r@example.com","DeliveredAt":"2019-11-05T16:33:54Z""#, "delivered"),
        (#""RecordType":"Bounce","Email":"r@example.com","Type":"SoftBounce","Inactive":false,"ID":1,"BouncedAt":"2019-11-05T16:33:54Z""#, "bounced"),
        (#""RecordType":"SpamComplaint","Email":"r@example.com","ID":2,"BouncedAt":"2019-11-05T16:33:54Z""#, "complained"),
        (#""RecordType":"Open","Recipient":"r@example.com","ReceivedAt":"2019-11-05T16:33:54-04:00""#, "opened"),
        (#""RecordType":"Click","Recipient":"r@example.com","ReceivedAt":"2019-11-05T16:33:54Z""#, "clicked"),
        (#""RecordType":"SubscriptionChange","Recipient":"r@example.com","SuppressSending":true,"ChangedAt":"2019-11-05T16:33:54Z""#, "unsubscribed"),
    ])
    func mapsEveryRecordType(_ fields: String, _ canonical: String) throws {
        let document = try #require(try normalize(#"{"MessageID":"m1",\#(fields)}"#).first?.document)
        #expect(document["status"] == .string(canonical))
        #expect(document["recipient"] == "r@example.com")
    }

    @Test func softBouncesAreNotPermanentAndResubscribesAreSkipped() throws {
        let soft = try normalize(#"{"RecordType":"Bounce","MessageID":"m1","Type":"SoftBounce","ID":3,"Email":"r@example.com"}"#)
        #expect(soft.first?.document["error"]?["permanent"] == false)
        #expect(try normalize(#"{"RecordType":"SubscriptionChange","MessageID":"m1","SuppressSending":false}"#).isEmpty)
        #expect(throws: InletError.self) { try normalize(#"[{"RecordType":"Delivery"}]"#) }
        #expect(throws: InletError.self) { try normalize(#"{"RecordType":"Delivery"}"#) }
    }
}
