import Foundation
import InletModel
import NIOHTTP1
import Testing

/// The admin listener, and what the public API does while Redis is down.
@Suite("Admin listener and sick dependencies")
struct AdminAndDependencyTests {
    @Test("/readyz is 200 with both services up, 503 naming redis while it is down, 200 again when it returns")
    func readinessFlips() async throws {
        let redis = try await RedisPrivateServer()
        let inlet = try await TestInlet.start(redisURL: redis.url)
        defer { Task { await inlet.stop() } }
        #expect(try await inlet.admin("/healthz").status == .ok)
        let up = try await inlet.admin("/readyz")
        #expect(up.status == .ok, "\(up.body)")

        redis.stop()
        let down = try await inlet.admin("/readyz")
        #expect(down.status == .serviceUnavailable)
        #expect(down.body.contains(#""down":["redis"]"#), "\(down.body)")
        #expect(try await inlet.admin("/healthz").status == .ok)

        try await redis.start()
        var back = try await inlet.admin("/readyz")
        for _ in 0..<50 where back.status != .ok {
            try await Task.sleep(for: .milliseconds(100))
            back = try await inlet.admin("/readyz")
        }
        #expect(back.status == .ok, "\(back.body)")
    }

    @Test("the public TLS port answers /healthz (for load balancers) and /ping, and nothing else outside /v1")
    func publicLiveness() async throws {
        let inlet = try await TestInlet.start()
        defer { Task { await inlet.stop() } }
        let health = try await inlet.send(.GET, "/healthz")
        #expect(health.status == .ok)
        #expect(health.body == #"{"status":"ok"}"#)
        #expect(try await inlet.send(.GET, "/ping").status == .noContent)
        #expect(try await inlet.send(.GET, "/readyz").status == .notFound)
        #expect(try await inlet.send(.POST, "/healthz", body: Array("x".utf8)).status == .notFound)
    }

    @Test("/readyz names mongodb when it cannot be reached")
    func readinessNamesMongo() async throws {
        let inlet = try await TestInlet.start { $0.mongoURL = "mongodb://127.0.0.1:1/\(TestServices.unique("down"))" }
        defer { Task { await inlet.stop() } }
        let answer = try await inlet.admin("/readyz")
        #expect(answer.status == .serviceUnavailable)
        #expect(answer.body.contains(#""down":["mongodb"]"#), "\(answer.body)")
    }

    @Test("/metrics shows requests by route and status, events stored, and the route fingerprint")
    func metrics() async throws {
        let inlet = try await TestInlet.start()
        defer { Task { await inlet.stop() } }
        _ = try await inlet.sendJSON("/v1/track", #"{"userId":"u","event":"E"}"#, key: nil)
        let key = try await inlet.createKey()
        let batch = #"{"batch":[{"type":"track","userId":"u","event":"A"},{"type":"track","userId":"u","event":"B"}]}"#
        #expect(try await inlet.sendJSON("/v1/batch", batch, key: key).status == .ok)
        let metrics = try await inlet.admin("/metrics")
        #expect(metrics.status == .ok)
        // The registry is the process's, shared with tests running alongside: at least these two.
        let stored = metrics.body.split(separator: "\n").first { $0.hasPrefix("inlet_events_stored_total ") }
        #expect((stored?.split(separator: " ").last.flatMap { Double($0) } ?? 0) >= 2, "\(stored as Substring?)")
        #expect(metrics.body.contains(#"inlet_http_requests_total{route="track",status="401"}"#), "\(metrics.body.prefix(2000))")
        #expect(metrics.body.contains("inlet_routes_info{fingerprint=\"\(inlet.app.routes.fingerprint)\"} 1"))
        #expect(metrics.body.contains("inlet_http_request_duration_seconds"))
    }

    @Test("Redis killed: fail-open sources keep answering 200, fail-closed sources answer 503")
    func redisDown() async throws {
        let redis = try await RedisPrivateServer()
        let routes = """
            tenant: acme
            region: ind
            sources:
              - id: acme-open
                kind: events
                rateLimit: { perSecond: 1000, burst: 1000, onRedisDown: open }
              - id: acme-closed
                kind: events
                rateLimit: { perSecond: 1000, burst: 1000, onRedisDown: closed }
            """
        let inlet = try await TestInlet.start(routes: routes, redisURL: redis.url)
        defer { Task { await inlet.stop() } }
        let open = try await inlet.createKey(source: "acme-open")
        let closed = try await inlet.createKey(source: "acme-closed")
        #expect(try await inlet.sendJSON("/v1/track", #"{"userId":"u","event":"E","messageId":"before"}"#, key: open).status == .ok)

        redis.stop()
        for index in 0..<5 {
            let answer = try await inlet.sendJSON("/v1/track", #"{"userId":"u","event":"E","messageId":"open-\#(index)"}"#, key: open)
            #expect(answer.status == .ok, "\(answer.body)")
        }
        let refused = try await inlet.sendJSON("/v1/track", #"{"userId":"u","event":"E","messageId":"closed-1"}"#, key: closed)
        #expect(refused.status == .serviceUnavailable)
        #expect(refused.headers.first(name: "retry-after") != nil)

        try await redis.start()
        var recovered = try await inlet.sendJSON("/v1/track", #"{"userId":"u","event":"E","messageId":"closed-2"}"#, key: closed)
        for attempt in 0..<50 where recovered.status != .ok {
            try await Task.sleep(for: .milliseconds(100))
            recovered = try await inlet.sendJSON("/v1/track", #"{"userId":"u","event":"E","messageId":"closed-r\#(attempt)"}"#, key: closed)
        }
        #expect(recovered.status == .ok)
        let stored = try await inlet.documents("events").compactMap { $0["messageId"]?.stringValue }
        #expect(stored.contains("open-4"))
        #expect(!stored.contains("closed-1"))
    }
}
