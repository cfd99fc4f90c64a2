import Foundation
import InletModel
import MongoStore
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Normalize
import Testing

/// The store against the shared SecantusDB, each test in a database of its own.
@Suite("MongoStore")
struct MongoStoreTests {
    static func withStore<Result>(
        _ configuration: MongoStore.Configuration = .sharedServer,
        _ body: (MongoStore) async throws -> Result
    ) async throws -> Result {
        let store = try MongoStore(url: TestServices.mongoURL(database: TestServices.unique("store")), configuration: configuration)
        do {
            try await store.ensureSchema()
            let result = try await body(store)
            _ = try? await store.runCommand(["dropDatabase": 1])
            try await store.shutdown()
            return result
        } catch {
            try? await store.shutdown()
            throw error
        }
    }

    static func event(_ messageId: String, tenant: String = "acme") -> StoreWrite {
        .insert(Collections.events, ["tenantId": .string(tenant), "sourceId": "acme-web", "messageId": .string(messageId), "type": "track"])
    }

    @Test func everyJSONValueKindRoundTripsThroughBSON() async throws {
        let when = Date(timeIntervalSince1970: 1_700_000_000.123)
        let document: JSONObject = [
            "_id": "doc-1",
            "tenantId": "acme",
            "messageId": "m-roundtrip",
            "null": nil,
            "true": true,
            "false": false,
            "int": .int(Int64.max),
            "negative": -42,
            "double": 3.25,
            "string": "héllo \u{1F600} \"quoted\"",
            "empty": "",
            "date": .date(when),
            "array": [1, "two", [3.5], ["nested": true], nil],
            "emptyArray": [],
            "object": ["b": 1, "a": ["deeper": ["deepest": "x"]]],
            "emptyObject": [:],
        ]
        try await Self.withStore { (store: MongoStore) async throws in
            #expect(try await store.insertOne(Collections.events, document) == .stored)
            let read = try #require(try await store.findOne(Collections.events, filter: ["_id": "doc-1"]))
            #expect(read == document)
            #expect(read.keys == document.keys)
        }
    }

    @Test func readsMapObjectIdsAndInt32() async throws {
        try await Self.withStore { (store: MongoStore) async throws in
            _ = try await store.runCommand(["insert": "misc", "documents": [["n": "x"]]])
            let read = try #require(try await store.findOne("misc", filter: ["n": "x"]))
            let id = try #require(read["_id"]?.stringValue)
            #expect(id.count == 24 && id.allSatisfy { $0.isHexDigit })
            let counted = try await store.runCommand(["count": "misc"])
            #expect(counted["n"] == .int(1))
        }
    }

    @Test func concurrentSubmittersAreBatched() async throws {
        let submissions = 2_000
        try await Self.withStore { (store: MongoStore) async throws in
            let outcomes = await withTaskGroup(of: [StoreOutcome].self) { group in
                for index in 0..<submissions {
                    group.addTask { await store.submit([Self.event("m-\(index)")]) }
                }
                var all: [StoreOutcome] = []
                for await outcome in group { all += outcome }
                return all
            }
            #expect(outcomes.count == submissions)
            #expect(outcomes.allSatisfy { $0 == .stored })
            #expect(try await store.count(Collections.events) == submissions)
            let statistics = store.statistics
            #expect(statistics.submittedWrites == submissions)
            #expect(statistics.bulkWrites < submissions / 10)
        }
    }

    @Test("submit's completion runs once, on the loop, also when the answer is known at once off the loop")
    func submitCompletionRunsOnTheLoop() async throws {
        let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
        try await Self.withStore { (store: MongoStore) async throws in
            let calls = NIOLockedValueBox<[(onLoop: Bool, outcomes: [StoreOutcome])]>([])
            let stored = eventLoop.makePromise(of: Void.self)
            // Nothing to write: answered at once, but on the loop, not on this thread.
            store.submit([], on: eventLoop) { outcomes in calls.withLockedValue { $0.append((eventLoop.inEventLoop, outcomes)) } }
            // Answered by a flusher thread, through the loop.
            store.submit([Self.event("cb-1"), Self.event("cb-2")], on: eventLoop) { outcomes in
                calls.withLockedValue { $0.append((eventLoop.inEventLoop, outcomes)) }
                stored.succeed()
            }
            try await stored.futureResult.get()
            try await eventLoop.submit {}.get()  // anything still queued on the loop has run
            let seen = calls.withLockedValue { $0 }
            #expect(seen.map(\.onLoop) == [true, true])
            #expect(seen.map(\.outcomes) == [[], [.stored, .stored]])
        }
    }

    @Test func submitOnAnEventLoopCompletesThere() async throws {
        let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
        try await Self.withStore { (store: MongoStore) async throws in
            let future = store.submit([Self.event("m-1"), Self.event("m-2")], on: eventLoop)
            let inLoop = try await future.map { _ in eventLoop.inEventLoop }.get()
            #expect(inLoop)
            #expect(try await future.get() == [.stored, .stored])
        }
    }

    @Test func duplicatesAreStoredOnce() async throws {
        try await Self.withStore { (store: MongoStore) async throws in
            let first = await store.submit([Self.event("same"), Self.event("same"), Self.event("other")])
            #expect(first == [.stored, .duplicate, .stored])
            let second = await store.submit([Self.event("same"), Self.event("same", tenant: "globex")])
            #expect(second == [.duplicate, .stored])
            #expect(try await store.count(Collections.events, filter: ["tenantId": "acme", "messageId": "same"]) == 1)
            #expect(try await store.count(Collections.events) == 3)
        }
    }

    @Test func invalidDocumentFailsAloneInItsBatch() async throws {
        try await Self.withStore { (store: MongoStore) async throws in
            let bad = StoreWrite.upsert(Collections.events, filter: ["tenantId": "acme", "messageId": "bad"], update: ["$bogus": ["x": 1]])
            let outcomes = await store.submit([Self.event("good"), bad])
            #expect(outcomes.first == .stored)
            #expect(outcomes.last?.isDurable == false)
            #expect(try await store.count(Collections.events) == 1)
        }
    }

    @Test func userProfileUpsertsMerge() async throws {
        let first = Date(timeIntervalSince1970: 1_700_000_000)
        let later = first.addingTimeInterval(3_600)
        try await Self.withStore { (store: MongoStore) async throws in
            let a = UserProfileWrites.make(tenantId: "acme", sourceId: "web", userId: "u1", traits: ["plan": "pro"], seenAt: later)
            let b = UserProfileWrites.make(tenantId: "acme", sourceId: "web", userId: "u1", traits: ["age": 41], seenAt: first)
            #expect(await store.submit(a).allSatisfy { $0.isDurable })
            #expect(await store.submit(b).allSatisfy { $0.isDurable })
            let user = try #require(try await store.findOne(Collections.userDetails, filter: ["tenantId": "acme", "userId": "u1"]))
            #expect(user["traits"] == ["plan": "pro", "age": 41])
            #expect(user["firstSeenAt"] == .date(later))
            #expect(user["lastSeenAt"] == .date(later))
            #expect(try await store.count(Collections.userDetails) == 1)
            #expect(try await store.count(Collections.userAttributes) == 2)
        }
    }

    @Test func dependentsAreWrittenAfterTheirParents() async throws {
        let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
        try await Self.withStore { (store: MongoStore) async throws in
            _ = await store.submit([Self.event("dup")])
            let trigger = { (id: String) in StoreWrite.insert(Collections.triggers, ["_id": .string(id), "tenantId": "acme", "status": "pending"]) }
            let bad = StoreWrite.upsert(Collections.triggers, filter: ["_id": "t-bad"], update: ["$bogus": ["x": 1]])
            let outcomes = try await store.submit(
                [Self.event("new"), Self.event("dup"), Self.event("third")],
                then: [[trigger("t-new")], [trigger("t-dup")], [bad]],
                on: eventLoop
            ).get()
            #expect(outcomes[0] == .stored)
            #expect(outcomes[1] == .duplicate)
            #expect(outcomes[2].isDurable == false)
            #expect(try await store.count(Collections.triggers) == 2)
        }
    }

    @Test func updatesReadsAndCounts() async throws {
        try await Self.withStore { (store: MongoStore) async throws in
            for (id, due) in [("a", 3), ("b", 1), ("c", 2)] {
                #expect(try await store.insertOne(Collections.triggers, ["_id": .string(id), "status": "pending", "nextAttemptAt": .int(Int64(due))]) == .stored)
            }
            #expect(try await store.insertOne(Collections.triggers, ["_id": "a"]) == .duplicate)
            let claimed = try await store.findOneAndUpdate(
                Collections.triggers, filter: ["status": "pending"], update: ["$set": ["status": "leased"]],
                sort: ["nextAttemptAt": 1], returnNew: true
            )
            #expect(claimed?["_id"] == "b")
            #expect(claimed?["status"] == "leased")
            let sorted = try await store.find(Collections.triggers, filter: ["status": "pending"], sort: ["nextAttemptAt": -1], limit: 1)
            #expect(sorted.map { $0["_id"] } == ["a"])
            let result = try await store.updateOne(Collections.triggers, filter: ["_id": "c"], update: ["$set": ["status": "done"]])
            #expect(result.matched == 1 && result.modified == 1)
            let upserted = try await store.updateOne(Collections.triggers, filter: ["_id": "d"], update: ["$set": ["status": "x"]], upsert: true)
            #expect(upserted.matched == 0)
            #expect(try await store.count(Collections.triggers, filter: ["status": "pending"]) == 1)
            #expect(try await store.count(Collections.triggers) == 4)
            try await store.ping()
        }
    }

    /// CONTRACT.md "What lands in MongoDB": each collection is unique on its key within a tenant,
    /// and only within it; the same key under another tenant is a document of its own.
    @Test func uniqueIndexesAreTheContractsAndScopedByTenant() async throws {
        let uniqueOn: [(collection: String, key: String)] = [
            (Collections.events, "messageId"), (Collections.userDetails, "userId"), (Collections.userAttributes, "name"),
            (Collections.deliveryEvents, "dedupKey"), (Collections.imports, "idempotencyKey"),
        ]
        try await Self.withStore { (store: MongoStore) async throws in
            try await store.ensureSchema()
            for (collection, key) in uniqueOn {
                #expect(try await store.insertOne(collection, ["tenantId": "acme", key: "k1"]) == .stored, "\(collection)")
                #expect(try await store.insertOne(collection, ["tenantId": "acme", key: "k1"]) == .duplicate, "\(collection)")
                #expect(try await store.insertOne(collection, ["tenantId": "globex", key: "k1"]) == .stored, "\(collection)")
                #expect(try await store.insertOne(collection, ["tenantId": "acme", key: "k2"]) == .stored, "\(collection)")
            }
            // API keys are unique on their hash alone, whoever the tenant.
            #expect(try await store.insertOne(Collections.apiKeys, ["tenantId": "acme", "hash": "h1"]) == .stored)
            #expect(try await store.insertOne(Collections.apiKeys, ["tenantId": "globex", "hash": "h1"]) == .duplicate)
        }
    }

    @Test func ensureSchemaIsIdempotentAndReportsConflicts() async throws {
        try await Self.withStore { (store: MongoStore) async throws in
            try await store.ensureSchema()
            #expect(try await store.insertOne(Collections.imports, ["tenantId": "acme", "status": "completed"]) == .stored)
            #expect(try await store.insertOne(Collections.imports, ["tenantId": "acme", "status": "completed"]) == .stored)
            #expect(try await store.insertOne(Collections.imports, ["tenantId": "acme", "idempotencyKey": "k"]) == .stored)
            #expect(try await store.insertOne(Collections.imports, ["tenantId": "acme", "idempotencyKey": "k"]) == .duplicate)
            _ = try await store.runCommand(["dropIndexes": "events", "index": "tenantId_messageId"])
            _ = try await store.runCommand([
                "createIndexes": "events", "indexes": [["key": ["messageId": 1], "name": "tenantId_messageId"]],
            ])
            let error = await #expect(throws: MongoStoreError.self) { try await store.ensureSchema() }
            #expect(error?.code == .indexConflict)
            #expect(error?.message.contains("tenantId_messageId") == true)
            #expect(error?.message.contains("events") == true)
        }
    }
}
