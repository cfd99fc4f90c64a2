import Foundation
import InletModel
import MongoStore
import NIOCore
import NIOPosix
import Testing

/// Faults injected on a private SecantusDB (failpoints are server-wide; killing needs our own).
/// The invariant throughout: every write reported `.stored`/`.duplicate` is in the collection
/// exactly once, and nothing that was not confirmed is reported stored.
@Suite("MongoStore faults")
struct MongoStoreFaultTests {
    static func configuration(deadline: TimeInterval = 5) -> MongoStore.Configuration {
        var configuration = MongoStore.Configuration()
        configuration.retryDeadline = .milliseconds(Int64(deadline * 1000))
        configuration.socketTimeout = .milliseconds(Int64(deadline * 1000))
        configuration.serverSelectionTimeout = .milliseconds(Int64(min(deadline, 2) * 1000))
        configuration.connectTimeout = .seconds(1)
        return configuration
    }

    /// Submits `count` single-event writes from concurrent tasks; returns outcome by messageId.
    static func submitConcurrently(_ store: MongoStore, count: Int, prefix: String) async -> [String: StoreOutcome] {
        await withTaskGroup(of: (String, StoreOutcome).self) { group in
            for index in 0..<count {
                group.addTask {
                    let id = "\(prefix)-\(index)"
                    let outcome = await store.submit([MongoStoreTests.event(id)])
                    return (id, outcome.first ?? .failed(reason: "none"))
                }
            }
            var outcomes: [String: StoreOutcome] = [:]
            for await (id, outcome) in group { outcomes[id] = outcome }
            return outcomes
        }
    }

    /// Every durable outcome has exactly one document; returns how many are durable.
    /// Submits a write to a collection of its own until the store stores it (at most ~5 s).
    static func waitUntilAccepting(_ store: MongoStore) async throws {
        for attempt in 0..<50 {
            if await store.submit([.insert("probe", ["attempt": .int(Int64(attempt))])]) == [.stored] { return }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    static func checkInvariant(_ outcomes: [String: StoreOutcome], in store: MongoStore) async throws -> Int {
        var durable = 0
        for (id, outcome) in outcomes where outcome.isDurable {
            durable += 1
            #expect(try await store.count(Collections.events, filter: ["tenantId": "acme", "messageId": .string(id)]) == 1, "\(id)")
        }
        return durable
    }

    static func failPoint(_ admin: MongoStore, mode: JSONValue, data: JSONObject) async throws {
        _ = try await admin.runCommand(["configureFailPoint": "failCommand", "mode": mode, "data": .object(data)], database: "admin")
    }

    @Test(arguments: [
        ("errorCode", ["failCommands": ["insert"], "errorCode": 91] as JSONObject),
        ("writeConcernError", ["failCommands": ["insert"], "writeConcernError": ["code": 64, "errmsg": "waiting for replication timed out"]] as JSONObject),
        ("closeConnection", ["failCommands": ["insert"], "closeConnection": true] as JSONObject),
    ])
    func transientFailuresAreRetriedToSuccess(name: String, data: JSONObject) async throws {
        let server = try await MongoStorePrivateServer()
        defer { server.kill() }
        let store = try MongoStore(url: server.url(database: "faults"), configuration: Self.configuration())
        let admin = try MongoStore(url: server.url(database: "faults"))
        try await store.ensureSchema()
        // libmongoc retries a retryable write once by itself; four failures guarantee that at
        // least one flush comes back unconfirmed to the store, however the writes were batched.
        try await Self.failPoint(admin, mode: ["times": 4], data: data)
        let outcomes = await Self.submitConcurrently(store, count: 50, prefix: name)
        try await Self.failPoint(admin, mode: "off", data: [:])
        #expect(outcomes.values.allSatisfy { $0.isDurable }, "\(name): \(Set(outcomes.values))")
        #expect(try await Self.checkInvariant(outcomes, in: store) == 50)
        #expect(try await store.count(Collections.events) == 50)
        #expect(store.statistics.retriedWrites > 0)
        try await store.shutdown()
        try await admin.shutdown()
    }

    @Test(arguments: [
        ("errorCode", ["failCommands": ["insert"], "errorCode": 11600] as JSONObject),
        ("writeConcernError", ["failCommands": ["insert"], "writeConcernError": ["code": 64, "errmsg": "waiting for replication timed out"]] as JSONObject),
        ("blockConnection", ["failCommands": ["insert"], "blockConnection": true, "blockTimeMS": 3000] as JSONObject),
    ])
    func persistentFailuresFailWithoutClaimingStored(name: String, data: JSONObject) async throws {
        let server = try await MongoStorePrivateServer()
        defer { server.kill() }
        let store = try MongoStore(url: server.url(database: "faults"), configuration: Self.configuration(deadline: 1))
        let admin = try MongoStore(url: server.url(database: "faults"))
        try await store.ensureSchema()
        try await Self.failPoint(admin, mode: "alwaysOn", data: data)
        let outcomes = await Self.submitConcurrently(store, count: 20, prefix: name)
        try await Self.failPoint(admin, mode: "off", data: [:])
        #expect(outcomes.values.allSatisfy { !$0.isDurable }, "\(name): \(Set(outcomes.values))")
        _ = try await Self.checkInvariant(outcomes, in: store)

        // Once the fault is gone the same writes go through; a retry of one that did land
        // behind a write-concern error comes back `.duplicate`. A fault that looked like an
        // unreachable server leaves the store refusing at once until its probe (every 250 ms)
        // sees the server answer: wait for that, as a client retrying its 503s would.
        try await Self.waitUntilAccepting(store)
        let retried = await Self.submitConcurrently(store, count: 20, prefix: name)
        #expect(retried.values.allSatisfy { $0.isDurable }, "\(name) after recovery: \(Set(retried.values))")
        #expect(try await Self.checkInvariant(retried, in: store) == 20)
        #expect(try await store.count(Collections.events) == 20)
        try await store.shutdown()
        try await admin.shutdown()
    }

    @Test func killedServerFailsSubmittersAndRecoversAfterRestart() async throws {
        let server = try await MongoStorePrivateServer()
        defer { server.kill() }
        let store = try MongoStore(url: server.url(database: "killed"), configuration: Self.configuration(deadline: 1))
        #expect(await store.submit([MongoStoreTests.event("before")]) == [.stored])

        server.kill()
        let whileDown = await Self.submitConcurrently(store, count: 20, prefix: "down")
        #expect(whileDown.values.allSatisfy { $0 == .failed(reason: "unavailable") }, "\(Set(whileDown.values))")
        #expect(store.statistics.expiredWrites >= 20)

        // Past the deadline the store refuses at once instead of queueing.
        var refusedAtOnce = false
        for _ in 0..<40 where !refusedAtOnce {
            refusedAtOnce = !store.isHealthy
            if !refusedAtOnce { _ = await store.submit([MongoStoreTests.event("probe")]) }
        }
        #expect(refusedAtOnce)
        let submittedBefore = store.statistics.submittedWrites
        #expect(await store.submit([MongoStoreTests.event("refused")]) == [.failed(reason: "unavailable")])
        #expect(store.statistics.submittedWrites == submittedBefore)

        try await server.start()
        var recovered: [StoreOutcome] = []
        for attempt in 0..<40 where recovered != [.stored] {
            recovered = await store.submit([MongoStoreTests.event("after-\(attempt)")])
            if recovered != [.stored] { try await Task.sleep(for: .milliseconds(250)) }
        }
        #expect(recovered == [.stored])
        #expect(store.isHealthy)
        try await store.shutdown()
    }

    @Test func fullQueueRefusesAtOnce() async throws {
        let server = try await MongoStorePrivateServer()
        defer { server.kill() }
        var configuration = Self.configuration(deadline: 2)
        configuration.maxQueuedWrites = 10
        let store = try MongoStore(url: server.url(database: "full"), configuration: configuration)
        let admin = try MongoStore(url: server.url(database: "full"))
        try await Self.failPoint(admin, mode: "alwaysOn", data: ["failCommands": ["insert"], "blockConnection": true, "blockTimeMS": 1000])
        let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
        let blocked = store.submit((0..<10).map { MongoStoreTests.event("q-\($0)") }, on: eventLoop)
        // The ten fill the bound while queued or blocked in flight: the next write is refused at once.
        #expect(await store.submit([MongoStoreTests.event("extra")]) == [.failed(reason: "unavailable")])
        // Refused at once on this thread, the callback is still answered on the submitter's loop.
        let refusedOnLoop = eventLoop.makePromise(of: Bool.self)
        store.submit([MongoStoreTests.event("extra-2")], on: eventLoop) { outcomes in
            refusedOnLoop.succeed(eventLoop.inEventLoop && outcomes == [.failed(reason: "unavailable")])
        }
        #expect(try await refusedOnLoop.futureResult.get())
        let outcomes = try await blocked.get()
        #expect(outcomes.allSatisfy { $0.isDurable })
        #expect(try await store.count(Collections.events, filter: ["messageId": "extra"]) == 0)
        try await Self.failPoint(admin, mode: "off", data: [:])
        try await store.shutdown()
        try await admin.shutdown()
    }
}
