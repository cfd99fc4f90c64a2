import Crypto
import Foundation
import InletModel
import NIOHTTP1
import Testing
import X509
import _CryptoExtras

/// SendGrid, Postmark, Amazon SES and WhatsApp callbacks over HTTP into SecantusDB: each signed
/// here with swift-crypto's primitives the way the provider documents it (not by inlet's
/// verifier), stored with its canonical status, and refused with `401` storing nothing when the
/// signature or credentials are wrong. The unit tests in ProviderTests cover each scheme's edges.
@Suite("Provider callbacks API: SendGrid, Postmark, SES, WhatsApp")
struct HooksAPISignedProvidersTests {
    /// No "acme" in it: `TestInlet` renames the tenant throughout the route file.
    static let topic = "arn:aws:sns:ap-south-1:123456789012:ses-events"
    static let routes = """
        tenant: acme
        region: ind
        sources:
          - id: acme-sendgrid
            kind: sendgrid
            publicKey: env:SENDGRID_PUBLIC_KEY
          - id: acme-postmark
            kind: postmark
            basicAuth: env:POSTMARK_AUTH
          - id: acme-ses
            kind: ses
            certificate: env:SES_CERTIFICATE
            topicArn: \(topic)
          - id: acme-whatsapp
            kind: whatsapp
            secret: env:WHATSAPP_SECRET
            verifyToken: env:WHATSAPP_VERIFY
        """

    /// The keys a test signs with, and the inlet that trusts them.
    struct Providers {
        let inlet: TestInlet
        let sendgrid: P256.Signing.PrivateKey
        let ses: _RSA.Signing.PrivateKey

        func path(_ source: String) -> String { "/v1/hooks/\(inlet.tenant)-\(source)" }

        func stored(_ source: String) async throws -> [JSONObject] {
            try await inlet.documents("deliveryEvents", ["sourceId": .string("\(inlet.tenant)-\(source)")])
        }
    }

    static func start() async throws -> Providers {
        let sendgrid = P256.Signing.PrivateKey()
        let ses = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let now = Date()
        let name = try DistinguishedName { CommonName("sns.ap-south-1.amazonaws.com") }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(ses.publicKey),
            notValidBefore: now - 86_400, notValidAfter: now + 86_400, issuer: name, subject: name,
            extensions: Certificate.Extensions(), issuerPrivateKey: Certificate.PrivateKey(ses)
        )
        let environment = [
            "SENDGRID_PUBLIC_KEY": sendgrid.publicKey.derRepresentation.base64EncodedString(),
            "POSTMARK_AUTH": "postmark:s3cret",
            "SES_CERTIFICATE": try certificate.serializeAsPEM().pemString,
            "WHATSAPP_SECRET": "whatsapp-app-secret", "WHATSAPP_VERIFY": "verify-me",
        ]
        let inlet = try await TestInlet.start(routes: routes, environment: environment)
        return Providers(inlet: inlet, sendgrid: sendgrid, ses: ses)
    }

    @Test("SendGrid: a signed batch of events is stored event by event; a body changed after signing is 401")
    func sendgrid() async throws {
        let providers = try await Self.start()
        defer { Task { await providers.inlet.stop() } }
        let body = Array(#"""
            [{"email":"a@example.com","timestamp":1699999990,"event":"delivered","sg_event_id":"sg-1","sg_message_id":"m1.filter0001","response":"250 OK"},
             {"email":"b@example.com","timestamp":1699999995,"event":"bounce","type":"bounce","sg_event_id":"sg-2","sg_message_id":"m2.filter0001","reason":"550 5.1.1 unknown user","status":"5.1.1"}]
            """#.utf8)
        func headers(signing signed: [UInt8], key: P256.Signing.PrivateKey) throws -> [(String, String)] {
            let timestamp = String(Int(Date().timeIntervalSince1970))
            let signature = try key.signature(for: Data(timestamp.utf8) + Data(signed)).derRepresentation.base64EncodedString()
            return [("content-type", "application/json"), ("x-twilio-email-event-webhook-signature", signature),
                    ("x-twilio-email-event-webhook-timestamp", timestamp)]
        }
        let forged = try await providers.inlet.send(.POST, providers.path("sendgrid"), body: body,
                                                    headers: headers(signing: body, key: P256.Signing.PrivateKey()))
        #expect(forged.status == .unauthorized)
        var tampered = body
        tampered[20] ^= 0x01
        let changed = try await providers.inlet.send(.POST, providers.path("sendgrid"), body: tampered,
                                                     headers: headers(signing: body, key: providers.sendgrid))
        #expect(changed.status == .unauthorized)
        #expect(try await providers.stored("sendgrid").isEmpty)

        let good = try await providers.inlet.send(.POST, providers.path("sendgrid"), body: body,
                                                  headers: headers(signing: body, key: providers.sendgrid))
        #expect(good.status == .ok, "\(good.body)")
        let stored = try await providers.stored("sendgrid")
        #expect(Set(stored.compactMap { $0["status"]?.stringValue }) == ["delivered", "bounced"])
        #expect(stored.allSatisfy { $0["channel"] == "email" })
        #expect(stored.first { $0["status"] == "bounced" }?["recipient"] == "b@example.com")
    }

    @Test("Postmark: the route's Basic credentials store a bounce; wrong or missing ones are 401")
    func postmark() async throws {
        let providers = try await Self.start()
        defer { Task { await providers.inlet.stop() } }
        let body = Array(#"""
            {"RecordType":"Bounce","ID":4323372036854775807,"Type":"HardBounce","TypeCode":1,"MessageID":"883953f4-6105-42a2-a16a-77a8eac79483",
             "Description":"The server was unable to deliver your message.","Email":"john@example.com","BouncedAt":"2026-11-05T16:33:54.9070259Z"}
            """#.utf8)
        func basic(_ pair: String) -> (String, String) { ("authorization", "Basic " + Data(pair.utf8).base64EncodedString()) }
        let json = ("content-type", "application/json")
        #expect(try await providers.inlet.send(.POST, providers.path("postmark"), body: body, headers: [json]).status == .unauthorized)
        #expect(try await providers.inlet.send(.POST, providers.path("postmark"), body: body, headers: [json, basic("postmark:wrong")]).status
            == .unauthorized)
        #expect(try await providers.stored("postmark").isEmpty)
        let good = try await providers.inlet.send(.POST, providers.path("postmark"), body: body, headers: [json, basic("postmark:s3cret")])
        #expect(good.status == .ok, "\(good.body)")
        let stored = try await providers.stored("postmark")
        #expect(stored.count == 1)
        #expect(stored.first?["status"] == "bounced")
        #expect(stored.first?["recipient"] == "john@example.com")
    }

    /// An SNS message as SNS signs it (SignatureVersion 2: RSA PKCS#1 v1.5 over SHA-256 of the
    /// canonical `Name\nValue\n` string).
    static func snsMessage(type: String, message: String, key: _RSA.Signing.PrivateKey, topic: String = topic) throws -> [UInt8] {
        let timestamp = ISO8601DateFormatter().string(from: Date())
        var fields: [(String, String)] = [("Type", type), ("MessageId", UUID().uuidString.lowercased()), ("TopicArn", topic),
                                          ("Message", message), ("Timestamp", timestamp)]
        let order: [String]
        if type == "Notification" {
            order = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
        } else {
            fields += [("SubscribeURL", "https://sns.ap-south-1.amazonaws.com/?Action=ConfirmSubscription&Token=2336412f37"),
                       ("Token", "2336412f37")]
            order = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
        }
        let byName = Dictionary(fields, uniquingKeysWith: { first, _ in first })
        let canonical = Data(order.compactMap { name in byName[name].map { "\(name)\n\($0)\n" } }.joined().utf8)
        let signature = try key.signature(for: SHA256.hash(data: canonical), padding: .insecurePKCS1v1_5)
        var object = JSONObject(fields.map { ($0.0, JSONValue.string($0.1)) })
        object["SignatureVersion"] = "2"
        object["Signature"] = .string(signature.rawRepresentation.base64EncodedString())
        object["SigningCertURL"] = "https://sns.ap-south-1.amazonaws.com/cert.pem"
        return JSONValue.object(object).jsonBytes()
    }

    @Test("SES: a signed SNS bounce is stored; a subscription confirmation is recorded, not followed; a foreign signer is 401")
    func ses() async throws {
        let providers = try await Self.start()
        defer { Task { await providers.inlet.stop() } }
        let bounce = #"""
            {"eventType":"Bounce","bounce":{"bounceType":"Permanent","bounceSubType":"General","bouncedRecipients":[{"emailAddress":"recipient@example.com","action":"failed","status":"5.1.1","diagnosticCode":"smtp; 550 5.1.1 user unknown"}],"timestamp":"2026-11-14T22:13:15.123Z","feedbackId":"0100017a-bounce"},
             "mail":{"timestamp":"2026-11-14T22:13:10.000Z","source":"sender@example.com","messageId":"EXAMPLE-0001","destination":["recipient@example.com"]}}
            """#
        let headers = [("content-type", "text/plain; charset=UTF-8"), ("x-amz-sns-message-type", "Notification")]
        let foreign = try Self.snsMessage(type: "Notification", message: bounce, key: try _RSA.Signing.PrivateKey(keySize: .bits2048))
        #expect(try await providers.inlet.send(.POST, providers.path("ses"), body: foreign, headers: headers).status == .unauthorized)
        #expect(try await providers.stored("ses").isEmpty)

        let signed = try Self.snsMessage(type: "Notification", message: bounce, key: providers.ses)
        let good = try await providers.inlet.send(.POST, providers.path("ses"), body: signed, headers: headers)
        #expect(good.status == .ok, "\(good.body)")
        let stored = try await providers.stored("ses")
        #expect(stored.count == 1)
        #expect(stored.first?["status"] == "bounced")
        #expect(stored.first?["recipient"] == "recipient@example.com")

        let confirmation = try Self.snsMessage(type: "SubscriptionConfirmation", message: "You have chosen to subscribe.", key: providers.ses)
        let confirmed = try await providers.inlet.send(.POST, providers.path("ses"), body: confirmation,
                                                       headers: [("content-type", "text/plain; charset=UTF-8"),
                                                                 ("x-amz-sns-message-type", "SubscriptionConfirmation")])
        #expect(confirmed.status == .ok, "\(confirmed.body)")
        let subscriptions = try await providers.inlet.documents("snsSubscriptions")
        #expect(subscriptions.count == 1)
        #expect(subscriptions.first?["topicArn"] == .string(Self.topic))
        #expect(subscriptions.first?["type"] == "SubscriptionConfirmation")
        #expect(subscriptions.first?["subscribeURL"]?.stringValue?.hasPrefix("https://sns.ap-south-1.amazonaws.com/") == true)
        #expect(subscriptions.first?["tenantId"] == .string(providers.inlet.tenant))
        #expect(try await providers.stored("ses").count == 1)
    }

    @Test("WhatsApp: signed statuses are stored one document each; a wrong app secret is 401")
    func whatsApp() async throws {
        let providers = try await Self.start()
        defer { Task { await providers.inlet.stop() } }
        let body = Array(#"""
            {"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp",
             "statuses":[
              {"id":"wamid.A","status":"delivered","timestamp":"1699999990","recipient_id":"16505551234"},
              {"id":"wamid.B","status":"failed","timestamp":"1699999995","recipient_id":"16505551235","errors":[{"code":131049,"title":"not delivered"}]}
             ]},"field":"messages"}]}]}
            """#.utf8)
        func signature(_ secret: String) -> (String, String) {
            let mac = HMAC<SHA256>.authenticationCode(for: Data(body), using: SymmetricKey(data: Data(secret.utf8)))
            return ("x-hub-signature-256", "sha256=" + mac.map { String(format: "%02x", $0) }.joined())
        }
        let json = ("content-type", "application/json")
        #expect(try await providers.inlet.send(.POST, providers.path("whatsapp"), body: body, headers: [json, signature("other")]).status
            == .unauthorized)
        #expect(try await providers.stored("whatsapp").isEmpty)
        let good = try await providers.inlet.send(.POST, providers.path("whatsapp"), body: body, headers: [json, signature("whatsapp-app-secret")])
        #expect(good.status == .ok, "\(good.body)")
        let stored = try await providers.stored("whatsapp")
        #expect(Set(stored.compactMap { $0["status"]?.stringValue }) == ["delivered", "failed"])
        #expect(stored.allSatisfy { $0["channel"] == "whatsapp" })
        #expect(stored.first { $0["status"] == "failed" }?["error"]?["code"] != nil)
    }
}
