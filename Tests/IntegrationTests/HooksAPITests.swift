import Crypto
import Foundation
import InletModel
import NIOHTTP1
import Testing

/// Provider callbacks end to end. Signatures are made here with swift-crypto's primitives, the
/// way each provider documents them, not by inlet's verifier.
@Suite("Provider callbacks API")
struct HooksAPITests {
    static let routes = """
        tenant: acme
        region: ind
        sources:
          - id: acme-twilio
            kind: twilio
            secret: env:TWILIO_TOKEN
          - id: acme-mailgun
            kind: mailgun
            secret: env:MAILGUN_KEY
          - id: acme-webhooks
            kind: standard-webhooks
            secrets: [env:WEBHOOK_SECRET]
          - id: acme-whatsapp
            kind: whatsapp
            secret: env:WHATSAPP_SECRET
            verifyToken: env:WHATSAPP_VERIFY
        triggers:
          - id: sms-failed
            when: { collection: deliveryEvents, status: failed }
            campaign: cmp_fallback
        """
    static let environment = [
        "TWILIO_TOKEN": "twilio-test-token", "MAILGUN_KEY": "mailgun-test-key",
        "WEBHOOK_SECRET": "whsec_" + Data("standard-webhooks-secret".utf8).base64EncodedString(),
        "WHATSAPP_SECRET": "whatsapp-app-secret", "WHATSAPP_VERIFY": "verify-me",
    ]

    static func start() async throws -> TestInlet {
        try await TestInlet.start(routes: routes, environment: environment) { $0.publicURL = "https://hooks.example.com" }
    }

    /// Twilio: base64 HMAC-SHA1 of the public URL + path + each parameter name and value, sorted by name.
    static func twilioSignature(url: String, params: [(String, String)], token: String) -> String {
        let data = url + params.sorted { $0.0 < $1.0 }.map { $0.0 + $0.1 }.joined()
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Data(data.utf8), using: SymmetricKey(data: Data(token.utf8)))
        return Data(mac).base64EncodedString()
    }

    static func form(_ params: [(String, String)]) -> [UInt8] {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return Array(params.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&").utf8)
    }

    @Test("Twilio: a signed status callback is stored once; a bad signature is 401 and stores nothing")
    func twilio() async throws {
        let inlet = try await Self.start()
        defer { Task { await inlet.stop() } }
        let source = inlet.tenant + "-twilio"
        let path = "/v1/hooks/\(source)"
        let params = [("MessageSid", "SM123"), ("MessageStatus", "delivered"), ("To", "+15551234567"),
                      ("From", "+15557654321"), ("AccountSid", "AC1"), ("ApiVersion", "2010-04-01")]
        let signature = Self.twilioSignature(url: "https://hooks.example.com" + path, params: params, token: "twilio-test-token")
        let headers = [("content-type", "application/x-www-form-urlencoded"), ("x-twilio-signature", signature)]
        for _ in 0..<2 {
            let answer = try await inlet.send(.POST, path, body: Self.form(params), headers: headers)
            #expect(answer.status == .ok, "\(answer.body)")
        }
        let stored = try await inlet.documents("deliveryEvents")
        #expect(stored.count == 1)
        #expect(stored.first?["status"] == "delivered")
        #expect(stored.first?["providerMessageId"] == "SM123")
        #expect(stored.first?["channel"] == "sms")

        var tampered = params
        tampered[1] = ("MessageStatus", "failed")
        let forged = try await inlet.send(.POST, path, body: Self.form(tampered), headers: headers)
        #expect(forged.status == .unauthorized)
        let unsigned = try await inlet.send(.POST, path, body: Self.form(params), headers: [("content-type", "application/x-www-form-urlencoded")])
        #expect(unsigned.status == .unauthorized)
        #expect(try await inlet.documents("deliveryEvents").count == 1)
        #expect(try await inlet.documents("triggers").isEmpty)
    }

    @Test("a failed delivery matching a deliveryEvents rule writes a trigger")
    func callbackTrigger() async throws {
        let inlet = try await Self.start()
        defer { Task { await inlet.stop() } }
        let path = "/v1/hooks/\(inlet.tenant)-twilio"
        let params = [("MessageSid", "SM9"), ("MessageStatus", "failed"), ("ErrorCode", "30008"), ("To", "+15550000000")]
        let signature = Self.twilioSignature(url: "https://hooks.example.com" + path, params: params, token: "twilio-test-token")
        let answer = try await inlet.send(.POST, path, body: Self.form(params), headers: [
            ("content-type", "application/x-www-form-urlencoded"), ("x-twilio-signature", signature),
        ])
        #expect(answer.status == .ok)
        let triggers = try await inlet.documents("triggers")
        #expect(triggers.count == 1)
        #expect(triggers.first?["campaign"] == "cmp_fallback")
    }

    @Test("Mailgun: a replayed token with another body is a 200 that stores nothing new")
    func mailgunReplay() async throws {
        let inlet = try await Self.start()
        defer { Task { await inlet.stop() } }
        let path = "/v1/hooks/\(inlet.tenant)-mailgun"
        let timestamp = String(Int(Date().timeIntervalSince1970))
        let token = "token-\(UUID().uuidString)"
        let mac = HMAC<SHA256>.authenticationCode(for: Data((timestamp + token).utf8), using: SymmetricKey(data: Data("mailgun-test-key".utf8)))
        let signature = mac.map { String(format: "%02x", $0) }.joined()
        func body(_ id: String, _ event: String) -> String {
            """
            {"signature":{"timestamp":"\(timestamp)","token":"\(token)","signature":"\(signature)"},\
            "event-data":{"id":"\(id)","event":"\(event)","timestamp":\(timestamp).5,"recipient":"a@example.com",\
            "message":{"headers":{"message-id":"msg-1@example.com"}}}}
            """
        }
        let first = try await inlet.sendJSON(path, body("ev-1", "delivered"), key: nil)
        #expect(first.status == .ok, "\(first.body)")
        let replay = try await inlet.sendJSON(path, body("ev-2", "failed"), key: nil)
        #expect(replay.status == .ok)
        #expect(replay.body.contains("duplicate"))
        let stored = try await inlet.documents("deliveryEvents")
        #expect(stored.count == 1)
        #expect(stored.first?["status"] == "delivered")
    }

    @Test("Standard Webhooks: signed with a rotated secret list; a stale timestamp is 401")
    func standardWebhooks() async throws {
        let inlet = try await Self.start()
        defer { Task { await inlet.stop() } }
        let path = "/v1/hooks/\(inlet.tenant)-webhooks"
        let body = #"{"type":"message.delivered","timestamp":"2026-11-25T10:00:00Z","data":{"id":"msg_1","status":"delivered","channel":"push","recipient":"device-1"}}"#
        func headers(id: String, at time: Int) -> [(String, String)] {
            let key = SymmetricKey(data: Data("standard-webhooks-secret".utf8))
            let mac = HMAC<SHA256>.authenticationCode(for: Data("\(id).\(time).\(body)".utf8), using: key)
            return [("content-type", "application/json"), ("webhook-id", id), ("webhook-timestamp", String(time)),
                    ("webhook-signature", "v1,bm90LWl0 v1," + Data(mac).base64EncodedString())]
        }
        let now = Int(Date().timeIntervalSince1970)
        let good = try await inlet.send(.POST, path, body: Array(body.utf8), headers: headers(id: "msg_a", at: now))
        #expect(good.status == .ok, "\(good.body)")
        let stale = try await inlet.send(.POST, path, body: Array(body.utf8), headers: headers(id: "msg_b", at: now - 600))
        #expect(stale.status == .unauthorized)
        let documents = try await inlet.documents("deliveryEvents")
        #expect(documents.count <= 1)
    }

    @Test("WhatsApp: the GET handshake answers the bare challenge only with the right token")
    func whatsAppHandshake() async throws {
        let inlet = try await Self.start()
        defer { Task { await inlet.stop() } }
        let path = "/v1/hooks/\(inlet.tenant)-whatsapp"
        let good = try await inlet.send(.GET, path + "?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=12345")
        #expect(good.status == .ok)
        #expect(good.body == "12345")
        let bad = try await inlet.send(.GET, path + "?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=12345")
        #expect(bad.status == .unauthorized)
    }

    @Test("an unknown source is 404; a malformed signed payload is 400")
    func unknownAndMalformed() async throws {
        let inlet = try await Self.start()
        defer { Task { await inlet.stop() } }
        #expect(try await inlet.send(.POST, "/v1/hooks/nobody", body: Array("x".utf8)).status == .notFound)
        let path = "/v1/hooks/\(inlet.tenant)-whatsapp"
        let body = Array(#"{"entry":"not-a-list"}"#.utf8)
        let mac = HMAC<SHA256>.authenticationCode(for: Data(body), using: SymmetricKey(data: Data("whatsapp-app-secret".utf8)))
        let answer = try await inlet.send(.POST, path, body: body, headers: [
            ("content-type", "application/json"),
            ("x-hub-signature-256", "sha256=" + mac.map { String(format: "%02x", $0) }.joined()),
        ])
        #expect(answer.status == .badRequest, "\(answer.body)")
        #expect(try await inlet.documents("deliveryEvents").isEmpty)

        // A status whose raw payload holds a field name MongoDB cannot store: 400 naming it, not 503.
        let unstorable = Array(#"{"entry":[{"changes":[{"value":{"statuses":[{"id":"wamid.9","status":"sent","timestamp":"1","recipient_id":"1","":"x"}]}}]}]}"#.utf8)
        let unstorableMAC = HMAC<SHA256>.authenticationCode(for: Data(unstorable), using: SymmetricKey(data: Data("whatsapp-app-secret".utf8)))
        let refused = try await inlet.send(.POST, path, body: unstorable, headers: [
            ("content-type", "application/json"),
            ("x-hub-signature-256", "sha256=" + unstorableMAC.map { String(format: "%02x", $0) }.joined()),
        ])
        #expect(refused.status == .badRequest, "\(refused.body)")
        #expect(refused.body.contains("invalid_field_name"))
        #expect(try await inlet.documents("deliveryEvents").isEmpty)
    }
}
