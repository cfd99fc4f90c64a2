import Foundation
import InletModel
import NIOHTTP1
import Testing

/// The Segment-compatible events API end to end: real TLS, real Redis, real SecantusDB.
@Suite("Events API")
struct EventsAPITests {
    static let now = "2026-11-25T10:00:00.000Z"

    /// A `track` as analytics-node sends it inside a batch.
    static func nodeTrack(_ messageId: String, total: Int = 120) -> String {
        """
        {"type":"track","event":"Order Completed","userId":"user-1","properties":{"total":\(total),"currency":"INR"},\
        "context":{"library":{"name":"analytics-node","version":"6.2.0"}},"_metadata":{"nodeVersion":"20.11.0","jsRuntime":"node"},\
        "integrations":{},"messageId":"\(messageId)","timestamp":"\(now)"}
        """
    }

    @Test("every endpoint stores its event, with normalised fields")
    func everyEndpoint() async throws {
        let inlet = try await TestInlet.start()
        defer { Task { await inlet.stop() } }
        let key = try await inlet.createKey()
        let bodies: [(String, String)] = [
            ("track", #"{"userId":"u1","event":"Signed Up","properties":{"plan":"pro"},"messageId":"m-track"}"#),
            ("identify", #"{"userId":"u1","traits":{"email":"a@example.com","age":31},"messageId":"m-identify"}"#),
            ("page", #"{"anonymousId":"a1","name":"Home","properties":{"path":"/"},"messageId":"m-page"}"#),
            ("screen", #"{"userId":"u1","name":"Cart","messageId":"m-screen"}"#),
            ("group", #"{"userId":"u1","groupId":"g1","traits":{"name":"Acme"},"messageId":"m-group"}"#),
            ("alias", #"{"userId":"u1","previousId":"a1","messageId":"m-alias"}"#),
            ("batch", #"{"batch":[{"type":"track","userId":"u1","event":"A","messageId":"m-batch"}]}"#),
            ("import", #"{"batch":[{"type":"track","userId":"u1","event":"B","messageId":"m-import"}]}"#),
        ]
        for (path, body) in bodies {
            let response = try await inlet.sendJSON("/v1/\(path)", body, key: key)
            #expect(response.status == .ok, "\(path): \(response.body)")
            #expect(response.body == #"{"success":true}"#)
            #expect(response.headers.first(name: "ratelimit-limit") != nil)
        }
        let events = try await inlet.documents("events")
        #expect(Set(events.compactMap { $0["messageId"]?.stringValue }) ==
                ["m-track", "m-identify", "m-page", "m-screen", "m-group", "m-alias", "m-batch", "m-import"])
        for event in events {
            #expect(event["tenantId"] == .string(inlet.tenant))
            #expect(event["sourceId"] == .string(inlet.tenant + "-web"))
            if case .date = event["receivedAt"] {} else { Issue.record("receivedAt is not a date") }
            #expect(event["context"]?["ip"] == "127.0.0.1")
        }
        let user = try #require(try await inlet.documents("userDetails", ["userId": "u1"]).first)
        #expect(user["traits"]?["email"] == "a@example.com")
        let attributes = try await inlet.documents("userAttributes")
        #expect(Set(attributes.compactMap { $0["name"]?.stringValue }) == ["email", "age"])
    }

    @Test("the endpoint is the path's last segment, a trailing slash or a query string ignored")
    func endpointFromPath() async throws {
        let inlet = try await TestInlet.start()
        defer { Task { await inlet.stop() } }
        let key = try await inlet.createKey()
        for (path, id) in [("/v1/track/", "m-slash"), ("/v1/track?x=1", "m-query")] {
            let response = try await inlet.sendJSON(path, #"{"userId":"u1","event":"E","messageId":"\#(id)"}"#, key: key)
            #expect(response.status == .ok, "\(path): \(response.body)")
        }
        #expect(try await inlet.sendJSON("/v1/trackx", #"{"userId":"u1","event":"E"}"#, key: key).status == .notFound)
        let events = try await inlet.documents("events")
        #expect(Set(events.compactMap { $0["messageId"]?.stringValue }) == ["m-slash", "m-query"])
        #expect(events.allSatisfy { $0["type"] == "track" })
    }

    @Test("property and trait names with dots or a leading $ are stored as sent, not refused")
    func dottedAndDollarNames() async throws {
        let inlet = try await TestInlet.start()
        defer { Task { await inlet.stop() } }
        let key = try await inlet.createKey()
        let body = #"{"userId":"u1","event":"Viewed","properties":{"page.url":"/a","$price":3,"nested":{"a.b":{"$c":1}}},"messageId":"m-dots"}"#
        let response = try await inlet.sendJSON("/v1/track", body, key: key)
        #expect(response.status == .ok, "\(response.body)")
        let identify = #"{"userId":"u2","traits":{"address.city":"Pune"},"messageId":"m-dots-identify"}"#
        #expect(try await inlet.sendJSON("/v1/identify", identify, key: key).status == .ok)
        let event = try #require(try await inlet.documents("events", ["messageId": "m-dots"]).first)
        #expect(event["properties"]?["page.url"] == "/a")
        #expect(event["properties"]?["$price"] == .int(3))
        #expect(event["properties"]?["nested"]?["a.b"]?["$c"] == .int(1))
    }

    /// Regression: libmongoc refuses such names, and the refusal came back as a `503`, which SDKs retry forever.
    @Test("an empty or NUL field name rejects its event with a reason (400 alone, listed in a batch), never 503")
    func unstorableFieldNames() async throws {
        let inlet = try await TestInlet.start()
        defer { Task { await inlet.stop() } }
        let key = try await inlet.createKey()
        let single = try await inlet.sendJSON("/v1/track", #"{"userId":"u1","event":"E","properties":{"":1},"messageId":"m-empty"}"#, key: key)
        #expect(single.status == .badRequest, "\(single.body)")
        #expect(single.body.contains("invalid_field_name"))
        let batch = #"{"batch":[{"type":"track","userId":"u1","event":"E","messageId":"m-ok"},"# +
            #"{"type":"track","userId":"u1","event":"E","properties":{"a":{"b\u0000c":1}},"messageId":"m-nul"}]}"#
        let mixed = try await inlet.sendJSON("/v1/batch", batch, key: key)
        #expect(mixed.status == .ok, "\(mixed.body)")
        #expect(mixed.body.contains(#""index":1,"code":"invalid_field_name""#), "\(mixed.body)")
        let stored = try await inlet.documents("events")
        #expect(stored.compactMap { $0["messageId"]?.stringValue } == ["m-ok"])
    }

    @Test("an SDK batch with sentAt, skew-corrected; a retried batch is stored once")
    func sdkBatchAndRetry() async throws {
        let inlet = try await TestInlet.start()
        defer { Task { await inlet.stop() } }
        let key = try await inlet.createKey()
        // The client's clock is an hour ahead: sentAt and timestamp both carry that skew.
        let body = """
            {"batch":[\(Self.nodeTrack("node-1")),\(Self.nodeTrack("node-2"))],"sentAt":"2026-11-25T10:00:05.000Z"}
            """
        for _ in 0..<3 {
            let response = try await inlet.sendJSON("/v1/batch", body, key: key)
            #expect(response.status == .ok)
        }
        let events = try await inlet.documents("events")
        #expect(events.count == 2)
        let event = try #require(events.first)
        guard case .date(let timestamp)? = event["timestamp"], case .date(let received)? = event["receivedAt"] else {
            Issue.record("timestamp and receivedAt must be dates")
            return
        }
        // timestamp = receivedAt - (sentAt - originalTimestamp) = receivedAt - 5 s
        #expect(abs(received.timeIntervalSince(timestamp) - 5) < 0.01)
        #expect(event["originalTimestamp"] != nil)
    }

    @Test("Basic auth with and without the trailing colon, and writeKey in the body")
    func writeKeyForms() async throws {
        let inlet = try await TestInlet.start()
        defer { Task { await inlet.stop() } }
        let key = try await inlet.createKey()
        let withColon = "Basic " + Data((key + ":").utf8).base64EncodedString()
        let withoutColon = "Basic " + Data(key.utf8).base64EncodedString()
        for (index, header) in [withColon, withoutColon].enumerated() {
            let response = try await inlet.send(.POST, "/v1/track", body: Array(#"{"userId":"u","event":"E","messageId":"k\#(index)"}"#.utf8),
                                                headers: [("content-type", "application/json; charset=utf-8"), ("authorization", header)])
            #expect(response.status == .ok)
        }
        let inBody = try await inlet.sendJSON("/v1/track", #"{"writeKey":"\#(key)","userId":"u","event":"E","messageId":"k2"}"#, key: nil)
        #expect(inBody.status == .ok)
        let stored = try await inlet.documents("events")
        #expect(stored.count == 3)
        #expect(stored.allSatisfy { $0["writeKey"] == nil })
    }

    @Test("unknown, missing and revoked keys get 401 and store nothing")
    func unauthorized() async throws {
        let inlet = try await TestInlet.start()
        defer { Task { await inlet.stop() } }
        let body = #"{"userId":"u","event":"E"}"#
        #expect(try await inlet.sendJSON("/v1/track", body, key: nil).status == .unauthorized)
        #expect(try await inlet.sendJSON("/v1/track", body, key: "ik_not_a_key").status == .unauthorized)
        let key = try await inlet.createKey()
        let prefix = String(key.prefix(10))
        #expect(try await inlet.app.keys.revoke(prefix: prefix) == 1)
        // The key cache holds a fresh key for a few seconds; a never-used key is looked up afresh.
        #expect(try await inlet.sendJSON("/v1/track", body, key: key).status == .unauthorized)
        #expect(try await inlet.documents("events").isEmpty)
    }

    @Test("requests on one connection are each authorised by their own header, not the one before")
    func credentialPerRequest() async throws {
        let inlet = try await TestInlet.start()
        defer { Task { await inlet.stop() } }
        let first = try await inlet.createKey()
        let second = try await inlet.createKey()
        // The client keeps one connection: its memo of the last `Authorization` value sees each change.
        let sequence: [(key: String, status: HTTPResponseStatus)] = [
            (first, .ok), (first, .ok), ("ik_not_a_key", .unauthorized), (second, .ok), ("ik_not_a_key", .unauthorized), (first, .ok),
        ]
        for (index, step) in sequence.enumerated() {
            let response = try await inlet.sendJSON("/v1/track", #"{"userId":"u","event":"E","messageId":"m\#(index)"}"#, key: step.key)
            #expect(response.status == step.status, "request \(index)")
        }
        let stored = try await inlet.documents("events")
        #expect(Set(stored.compactMap { $0["messageId"]?.stringValue }) == ["m0", "m1", "m3", "m5"])
    }

    @Test("a batch mixing good and bad events stores the good ones and lists the bad")
    func mixedBatch() async throws {
        let inlet = try await TestInlet.start()
        defer { Task { await inlet.stop() } }
        let key = try await inlet.createKey()
        let body = """
            {"batch":[
              {"type":"track","userId":"u1","event":"Good","messageId":"g1"},
              {"type":"track","userId":"u1","messageId":"b1"},
              {"type":"identify","traits":{"a":1},"messageId":"b2"},
              {"type":"page","anonymousId":"a1","messageId":"g2"},
              {"type":"unknown","userId":"u1","messageId":"b3"}
            ]}
            """
        let response = try await inlet.sendJSON("/v1/batch", body, key: key)
        #expect(response.status == .ok)
        let answer = try JSONParser.parse(Array(response.body.utf8))
        #expect(answer["accepted"] == 2)
        let rejected = answer["rejected"]?.arrayValue ?? []
        #expect(rejected.compactMap { $0["index"] } == [1, 2, 4])
        #expect(rejected.compactMap { $0["code"]?.stringValue } == ["missing_event", "missing_id", "invalid_type"])
        #expect(Set(try await inlet.documents("events").compactMap { $0["messageId"]?.stringValue }) == ["g1", "g2"])

        let allBad = try await inlet.sendJSON("/v1/batch", #"{"batch":[{"type":"track","userId":"u"}]}"#, key: key)
        #expect(allBad.status == .badRequest)
        #expect(allBad.body.contains("missing_event"))
    }

    @Test("gzip bodies are accepted")
    func gzipBody() async throws {
        let inlet = try await TestInlet.start()
        defer { Task { await inlet.stop() } }
        let key = try await inlet.createKey()
        let body = try gzip(Array(#"{"batch":[\#(Self.nodeTrack("gz-1"))]}"#.utf8))
        let response = try await inlet.send(.POST, "/v1/batch", body: body, headers: [
            ("content-type", "application/json"), ("content-encoding", "gzip"),
            ("authorization", "Basic " + Data((key + ":").utf8).base64EncodedString()),
        ])
        #expect(response.status == .ok)
        #expect(try await inlet.documents("events").count == 1)
    }

    @Test("bad input gets its status and stores nothing", arguments: BadInput.all)
    func badInput(_ input: BadInput) async throws {
        let inlet = try await TestInlet.start()
        defer { Task { await inlet.stop() } }
        let key = try await inlet.createKey()
        var headers = [("authorization", "Basic " + Data((key + ":").utf8).base64EncodedString())]
        headers.append(("content-type", input.contentType))
        if input.gzip { headers.append(("content-encoding", "gzip")) }
        let body = input.gzip ? try gzip(input.body) : input.body
        let response = try await inlet.send(.POST, input.path, body: body, headers: headers)
        #expect(response.status.code == input.status, "\(input.name): \(response.body)")
        #expect(response.body.contains(#""success":false"#), "\(input.name)")
        #expect(try await inlet.documents("events").isEmpty)
    }

    /// An events source allowed 3 events at once and one more every 100 s.
    static let slowSource = """
        tenant: acme
        region: ind
        sources:
          - id: acme-web
            kind: events
            rateLimit: { perSecond: 0.01, burst: 3, onRedisDown: open }
        """

    @Test("a source over its rate limit gets 429 with Retry-After and RateLimit headers")
    func rateLimited() async throws {
        // One event per 100 s after the burst: the second request is refused however slowly a
        // loaded machine runs the first (at 1 per second it was let through when they were > 1 s apart).
        let inlet = try await TestInlet.start(routes: Self.slowSource)
        defer { Task { await inlet.stop() } }
        let key = try await inlet.createKey()
        let batch = #"{"batch":[{"type":"track","userId":"u","event":"E"},{"type":"track","userId":"u","event":"E"}]}"#
        // The rate-limit key is per tenant and source in the shared Redis; start from a clean slate.
        let first = try await inlet.sendJSON("/v1/batch", batch, key: key)
        #expect(first.status == .ok)
        #expect(first.headers.first(name: "ratelimit-limit") == "3")
        let second = try await inlet.sendJSON("/v1/batch", batch, key: key)
        #expect(second.status == .tooManyRequests)
        #expect(Int(second.headers.first(name: "retry-after") ?? "") ?? 0 >= 1)
        #expect(second.headers.first(name: "ratelimit-remaining") != nil)
        #expect(second.headers.first(name: "ratelimit-reset") != nil)
        #expect(try await inlet.documents("events").count == 2)
    }

    @Test("a batch of more events than the burst passes on a full bucket, and the requests after it wait")
    func batchAboveTheBurst() async throws {
        // One event per 100 s: a refusal's Retry-After counts whole intervals.
        let inlet = try await TestInlet.start(routes: Self.slowSource)
        defer { Task { await inlet.stop() } }
        let key = try await inlet.createKey()
        let five = "{\"batch\":[" + (0..<5).map { #"{"type":"track","userId":"u","event":"E\#($0)"}"# }.joined(separator: ",") + "]}"
        let first = try await inlet.sendJSON("/v1/batch", five, key: key)
        #expect(first.status == .ok, "\(first.body)")
        #expect(first.headers.first(name: "ratelimit-remaining") == "0")
        #expect(try await inlet.documents("events").count == 5)

        // Two events in debt: one more event waits for three to refill, the next five for a full bucket.
        let one = try await inlet.sendJSON("/v1/track", #"{"userId":"u","event":"after"}"#, key: key)
        #expect(one.status == .tooManyRequests)
        #expect((290...300).contains(Int(one.headers.first(name: "retry-after") ?? "") ?? 0), "\(one.headers)")
        let again = try await inlet.sendJSON("/v1/batch", five, key: key)
        #expect(again.status == .tooManyRequests)
        #expect((490...500).contains(Int(again.headers.first(name: "retry-after") ?? "") ?? 0), "\(again.headers)")
        #expect(try await inlet.documents("events").count == 5)
    }

    @Test("storage down: 503 with Retry-After, nothing acknowledged")
    func storageDown() async throws {
        // Nothing listens on this port: every write and key lookup fails.
        let inlet = try await TestInlet.start { $0.mongoURL = "mongodb://127.0.0.1:1/\(TestServices.unique("down"))" }
        defer { Task { await inlet.stop() } }
        let response = try await inlet.sendJSON("/v1/track", #"{"userId":"u","event":"E"}"#, key: "ik_whatever")
        #expect(response.status == .serviceUnavailable)
        #expect(response.headers.first(name: "retry-after") != nil)
    }

    @Test("a tenant pinned to another region gets 421 naming it")
    func wrongRegion() async throws {
        let routes = """
            tenant: globex
            region: us
            sources:
              - id: globex-web
                kind: events
            """
        let inlet = try await TestInlet.start(routes: routes)
        defer { Task { await inlet.stop() } }
        let key = try await inlet.createKey(tenant: "globex", source: "globex-web")
        let response = try await inlet.sendJSON("/v1/track", #"{"userId":"u","event":"E"}"#, key: key)
        #expect(response.status.code == 421)
        #expect(response.body.contains(#""region":"us""#))
        #expect(try await inlet.documents("events").isEmpty)
    }

    @Test("a matching event writes its trigger to the outbox with it; a duplicate does not add one")
    func triggerOutbox() async throws {
        let routes = TestInlet.defaultRoutes + """

            triggers:
              - id: big-order
                when: { type: track, event: Order Completed, where: { properties.total: { gte: 100 } } }
                campaign: cmp_1
            """
        let inlet = try await TestInlet.start(routes: routes)
        defer { Task { await inlet.stop() } }
        let key = try await inlet.createKey()
        let body = #"{"batch":[\#(Self.nodeTrack("t-big", total: 150)),\#(Self.nodeTrack("t-small", total: 50))]}"#
        #expect(try await inlet.sendJSON("/v1/batch", body, key: key).status == .ok)
        #expect(try await inlet.sendJSON("/v1/batch", body, key: key).status == .ok)
        let triggers = try await inlet.documents("triggers")
        #expect(triggers.count == 1)
        #expect(triggers.first?["campaign"] == "cmp_1")
        #expect(triggers.first?["event"]?["messageId"] == "t-big")
        #expect(triggers.first?["status"] == "pending")
    }
}

/// One row of the bad-input table.
struct BadInput: Sendable, CustomTestStringConvertible {
    var name: String
    var path = "/v1/batch"
    var body: [UInt8]
    var contentType = "application/json"
    var gzip = false
    var status: Int

    var testDescription: String { name }

    static var all: [BadInput] {
        let deep = String(repeating: "[", count: 1_000) + String(repeating: "]", count: 1_000)
        let bigBatch = "{\"batch\":[" + Array(repeating: #"{"type":"track","userId":"u","event":"E","properties":{"p":"\#(String(repeating: "x", count: 500))"}}"#, count: 1_100).joined(separator: ",") + "]}"
        let hugeEvent = #"{"type":"track","userId":"u","event":"E","properties":{"p":"\#(String(repeating: "x", count: 40_000))"}}"#
        return [
            BadInput(name: "invalid UTF-8", body: Array(#"{"batch":[{"type":"track","userId":""#.utf8) + [0xFF, 0xFE] + Array(#"","event":"E"}]}"#.utf8), status: 400),
            BadInput(name: "duplicate keys", body: Array(#"{"batch":[],"batch":[]}"#.utf8), status: 400),
            BadInput(name: "depth 1,000", body: Array(#"{"batch":[{"type":"track","userId":"u","event":"E","properties":{"x":\#(deep)}}]}"#.utf8), status: 400),
            BadInput(name: "1e400", body: Array(#"{"batch":[{"type":"track","userId":"u","event":"E","properties":{"x":1e400}}]}"#.utf8), status: 400),
            BadInput(name: "600 KB batch", body: Array(bigBatch.utf8), status: 413),
            BadInput(name: "gzip inflating past the limit", body: Array(repeating: UInt8(ascii: " "), count: 2_000_000), gzip: true, status: 413),
            BadInput(name: "JSON array at the top level", body: Array(#"[{"type":"track","userId":"u","event":"E"}]"#.utf8), status: 400),
            BadInput(name: "empty body", body: [], status: 400),
            BadInput(name: "wrong content type", body: Array(#"{"batch":[]}"#.utf8), contentType: "application/x-www-form-urlencoded", status: 415),
            BadInput(name: "single event not an object", path: "/v1/track", body: Array("42".utf8), status: 400),
            BadInput(name: "a 40 KB event", path: "/v1/track", body: Array(hugeEvent.utf8), status: 413),
            BadInput(name: "a batch of one 40 KB event", body: Array("{\"batch\":[\(hugeEvent)]}".utf8), status: 413),
        ]
    }
}
