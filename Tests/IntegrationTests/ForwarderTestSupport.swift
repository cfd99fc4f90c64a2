import Forwarder
import Foundation
import InletModel
import Logging
import MongoStore
import ServiceLifecycle
import Testing

/// Shared set-up of the forwarder tests: an outbox in a database of its own, trigger documents
/// shaped exactly as the server's `TriggerOutbox` writes them, and forwarders run as services.
enum ForwarderTestSupport {
    static let secret = "test-engine-secret"
    static let logger = Logger(label: "test.forwarder")

    /// Millisecond timings so retries, outages and dead-lettering take a moment, not minutes.
    static func fastConfiguration() -> TriggerForwarder.Configuration {
        var configuration = TriggerForwarder.Configuration()
        configuration.pollInterval = .milliseconds(20)
        configuration.backoffBase = .milliseconds(10)
        configuration.backoffCap = .milliseconds(50)
        // Generous: under the whole suite's load on two cores a 300 ms connect has timed out,
        // which counts as a failed attempt that never reached the engine.
        configuration.requestTimeout = .seconds(5)
        configuration.connectTimeout = .seconds(5)
        configuration.lease = .seconds(10)
        configuration.gaugeInterval = .milliseconds(100)
        return configuration
    }

    static func openStore(database: String) throws -> MongoStore {
        var configuration = MongoStore.Configuration.sharedServer
        configuration.maxBatchDelay = .milliseconds(1)
        return try MongoStore(url: TestServices.mongoURL(database: database), configuration: configuration)
    }

    /// A fresh database with the schema; dropped afterwards.
    static func withOutbox<Result>(_ body: (MongoStore, String) async throws -> Result) async throws -> Result {
        let database = TestServices.unique("forwarder")
        let store = try openStore(database: database)
        do {
            try await store.ensureSchema()
            let result = try await body(store, database)
            _ = try? await store.runCommand(["dropDatabase": 1])
            try await store.shutdown()
            return result
        } catch {
            _ = try? await store.runCommand(["dropDatabase": 1])
            try? await store.shutdown()
            throw error
        }
    }

    /// The document `TriggerOutbox.writes` makes for `documentId` matching rule `order-completed`.
    static func trigger(_ documentId: String, tenant: String = "acme", now: Date = Date()) -> JSONObject {
        let event: JSONObject = [
            "tenantId": .string(tenant), "sourceId": "acme-web", "messageId": .string(documentId), "type": "track",
            "event": "Order Completed", "userId": "user-1", "properties": ["total": 120, "currency": "EUR"],
            "timestamp": .date(now), "receivedAt": .date(now),
        ]
        return [
            "_id": .string("\(tenant):order-completed:\(documentId)"),
            "tenantId": .string(tenant),
            "sourceId": "acme-web",
            "trigger": "order-completed",
            "campaign": "cmp_123",
            "event": .object(event),
            "status": "pending",
            "attempts": 0,
            "nextAttemptAt": .date(now),
            "createdAt": .date(now),
        ]
    }

    static func insert(_ documents: [JSONObject], into store: MongoStore) async throws {
        let outcomes = await store.submit(documents.map { .insert(Collections.triggers, $0) })
        try #require(outcomes.allSatisfy { $0 == .stored })
    }

    static func document(_ id: String, in store: MongoStore) async throws -> JSONObject {
        try #require(try await store.findOne(Collections.triggers, filter: ["_id": .string(id)]))
    }

    /// Runs `forwarders` in a service group around `body`, then shuts them down gracefully.
    static func running(_ forwarders: [TriggerForwarder], _ body: () async throws -> Void) async throws {
        let group = ServiceGroup(services: forwarders, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                try await body()
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }

    /// Polls `condition` until it holds; `false` after `limit` (a hang guard, not a timing check).
    static func eventually(limit: Duration = .seconds(30), _ condition: () async throws -> Bool) async throws -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        while clock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }

    /// `eventually` as an expectation, reported at the caller's line.
    static func expectEventually(
        limit: Duration = .seconds(30), sourceLocation: SourceLocation = #_sourceLocation, _ condition: () async throws -> Bool
    ) async throws {
        let held = try await eventually(limit: limit, condition)
        #expect(held, "condition did not hold within \(limit)", sourceLocation: sourceLocation)
    }

    static func count(_ store: MongoStore, status: String) async throws -> Int {
        try await store.count(Collections.triggers, filter: ["status": .string(status)])
    }
}
