import Crypto
import Foundation
import InletAuth
import InletModel
import Normalize
import Testing
import _CryptoExtras

@Suite struct SESTests {
    static let topic = "arn:aws:sns:us-west-2:123456789012:ses-events"
    static let bounce = #"""
    {"eventType":"Bounce","bounce":{"bounceType":"Permanent","bounceSubType":"General","bouncedRecipients":[{"emailAddress":"recipient@example.com","action":"failed","status":"5.1.1","diagnosticCode":"smtp; 550 5.1.1 user unknown"}],"timestamp":"2023-11-14T22:13:15.123Z","feedbackId":"0100017a-bounce"},
     "mail":{"timestamp":"2023-11-14T22:13:10.000Z","source":"Sender <sender@example.com>","messageId":"EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000","destination":["recipient@example.com"],"tags":{"campaign":["cmp_123"]}}}
    """#

    /// SNS's documented canonical string: each present field as `Name\nValue\n`, in this order.
    static func canonical(_ fields: [(String, String)], order: [String]) -> Data {
        let byName = Dictionary(fields, uniquingKeysWith: { first, _ in first })
        return Data(order.compactMap { name in byName[name].map { "\(name)\n\($0)\n" } }.joined().utf8)
    }

    static func message(
        type: String = "Notification", version: String = "2", key: _RSA.Signing.PrivateKey, message: String = bounce,
        timestamp: String = "2023-11-14T22:13:20.000Z", topic: String = topic, subject: String? = nil
    ) throws -> [UInt8] {
        var fields: [(String, String)] = [
            ("Type", type), ("MessageId", "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324"), ("TopicArn", topic), ("Message", message),
            ("Timestamp", timestamp),
        ]
        if let subject { fields.append(("Subject", subject)) }
        let order: [String]
        if type == "Notification" {
            order = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
        } else {
            fields += [("SubscribeURL", "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&Token=2336412f37"), ("Token", "2336412f37")]
            order = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
        }
        let data = canonical(fields, order: order)
        let signature = version == "1"
            ? try key.signature(for: Insecure.SHA1.hash(data: data), padding: .insecurePKCS1v1_5)
            : try key.signature(for: SHA256.hash(data: data), padding: .insecurePKCS1v1_5)
        var object = JSONObject(fields.map { ($0.0, JSONValue.string($0.1)) })
        object["SignatureVersion"] = .string(version)
        object["Signature"] = .string(signature.rawRepresentation.base64EncodedString())
        object["SigningCertURL"] = "https://attacker.example/cert.pem"
        return JSONValue.object(object).jsonBytes()
    }

    static let now = Date(timeIntervalSince1970: 1_699_999_999) // 2023-11-14T22:13:19Z

    func verify(_ body: [UInt8], pem: String, topic: String? = topic) -> ProviderVerification {
        ProviderVerifier.verify(
            kind: .ses, request: TestSigner.request(headers: [("Content-Type", "text/plain; charset=UTF-8")], body: body),
            credentials: ProviderCredentials(certificatePEM: pem, topicArn: topic), now: Self.now)
    }

    @Test func verifiesVersionsOneAndTwoAndRejectsTampering() throws {
        let (key, pem) = try TestSigner.snsKeyAndCertificate()
        #expect(verify(try Self.message(version: "1", key: key), pem: pem) == .verified)
        #expect(verify(try Self.message(version: "2", key: key), pem: pem) == .verified)
        #expect(verify(try Self.message(version: "2", key: key, subject: "Amazon SES Email Event Notification"), pem: pem) == .verified)
        #expect(verify(try Self.message(type: "SubscriptionConfirmation", version: "1", key: key, message: "You have chosen to subscribe"), pem: pem) == .verified)
        let body = try Self.message(key: key)
        var flipped = body
        flipped[40] ^= 0x01
        #expect(verify(flipped, pem: pem) != .verified)
        let (_, otherPEM) = try TestSigner.snsKeyAndCertificate()
        #expect(verify(body, pem: otherPEM).rejectionReason == "ses: signature mismatch")
    }

    @Test func rejectsOtherTopicsStaleTimestampsAndUnknownVersions() throws {
        let (key, pem) = try TestSigner.snsKeyAndCertificate()
        #expect(verify(try Self.message(key: key, topic: "arn:aws:sns:us-west-2:999999999999:evil"), pem: pem).rejectionReason == "ses: TopicArn is not the configured topic")
        #expect(verify(try Self.message(key: key, timestamp: "2023-11-14T22:05:00.000Z"), pem: pem).rejectionReason == "ses: timestamp outside tolerance")
        #expect(verify(try Self.message(version: "3", key: key), pem: pem).rejectionReason == "ses: unsupported SignatureVersion")
        #expect(verify(Array(#"{"Type":"Notification"}"#.utf8), pem: pem).rejectionReason == "ses: SNS message lacks the signed fields")
        #expect(verify(try Self.message(key: key), pem: "not a pem").rejectionReason == "ses: configured certificate is not an RSA certificate in PEM")
    }

    // MARK: normalisation

    static let context = DeliveryContext(tenantId: "acme", sourceId: "acme-ses", receivedAt: now)

    func normalize(_ body: [UInt8]) throws -> ProviderPayload {
        try ProviderNormalizer.normalize(kind: .ses, body: body, contentType: "text/plain", context: Self.context)
    }

    func envelope(_ event: String) -> [UInt8] {
        JSONValue.object([
            "Type": "Notification", "MessageId": "mid-1", "TopicArn": .string(Self.topic), "Message": .string(event),
            "Timestamp": "2023-11-14T22:13:20.000Z",
        ]).jsonBytes()
    }

    @Test func aPermanentBounceIsOneBouncedEvent() throws {
        let payload = try normalize(envelope(Self.bounce))
        #expect(payload.subscriptionConfirmation == nil)
        let event = try #require(payload.events.first)
        #expect(payload.events.count == 1)
        #expect(event.dedupKey == "ses:mid-1")
        #expect(event.providerEventId == "mid-1")
        #expect(event.document["status"] == "bounced")
        #expect(event.document["recipient"] == "recipient@example.com")
        #expect(event.document["providerMessageId"] == "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000")
        #expect(event.document["error"] == ["code": "5.1.1", "message": "smtp; 550 5.1.1 user unknown", "permanent": true])
        #expect(event.document["metadata"]?["tags"] == ["campaign": ["cmp_123"]])
        #expect(event.document["occurredAt"] == .date(Date(timeIntervalSince1970: 1_699_999_995.123)))
        #expect(try normalize(envelope(Self.bounce)).events.map(\.dedupKey) == [event.dedupKey])
    }

    @Test(arguments: [
        (#"{"eventType":"Send","send":{}}"#, "sent", nil),
        (#"{"eventType":"Delivery","delivery":{"timestamp":"2023-11-14T22:13:15.000Z","recipients":["r@example.com"]}}"#, "delivered", nil),
        (#"{"notificationType":"Delivery","delivery":{"recipients":["r@example.com"]}}"#, "delivered", nil),
        (#"{"eventType":"Bounce","bounce":{"bounceType":"Transient","bouncedRecipients":[{"emailAddress":"r@example.com"}]}}"#, "bounced", false),
        (#"{"eventType":"Bounce","bounce":{"bounceType":"Undetermined","bouncedRecipients":[]}}"#, "bounced", false),
        (#"{"eventType":"Complaint","complaint":{"complainedRecipients":[{"emailAddress":"r@example.com"}]}}"#, "complained", nil),
        (#"{"eventType":"Reject","reject":{"reason":"Bad content"}}"#, "dropped", true),
        (#"{"eventType":"Open","open":{"timestamp":"2023-11-14T22:13:15.000Z"}}"#, "opened", nil),
        (#"{"eventType":"Click","click":{"link":"https://example.com"}}"#, "clicked", nil),
        (#"{"eventType":"DeliveryDelay","deliveryDelay":{"delayType":"MailboxFull","delayedRecipients":[{"emailAddress":"r@example.com"}]}}"#, "deferred", false),
        (#"{"eventType":"Subscription","subscription":{"newTopicPreferences":{"unsubscribeAll":true}}}"#, "unsubscribed", nil),
        (#"{"eventType":"Rendering Failure","failure":{"errorMessage":"Attribute 'name' is not present","templateName":"t"}}"#, "failed", true),
    ] as [(String, String, Bool?)])
    func mapsEveryEventType(_ event: String, _ canonical: String, _ permanent: Bool?) throws {
        let document = try #require(try normalize(envelope(event)).events.first?.document)
        #expect(document["status"] == .string(canonical))
        #expect(document["error"]?["permanent"] == permanent.map(JSONValue.bool))
    }

    @Test func subscriptionConfirmationIsRecordedNotStored() throws {
        let (key, _) = try TestSigner.snsKeyAndCertificate()
        let payload = try normalize(try Self.message(type: "SubscriptionConfirmation", key: key, message: "You have chosen to subscribe"))
        #expect(payload.events.isEmpty)
        let confirmation = try #require(payload.subscriptionConfirmation)
        #expect(confirmation["type"] == "SubscriptionConfirmation")
        #expect(confirmation["topicArn"] == .string(Self.topic))
        #expect(confirmation["token"] == "2336412f37")
        #expect(confirmation["tenantId"] == "acme")
    }

    @Test func malformedMessagesAreBadRequests() {
        #expect(throws: InletError.self) { try normalize(envelope("not json")) }
        #expect(throws: InletError.self) { try normalize(envelope(#"{"mail":{}}"#)) }
        #expect(throws: InletError.self) { try normalize(Array(#"{"Type":"Weird"}"#.utf8)) }
    }
}
