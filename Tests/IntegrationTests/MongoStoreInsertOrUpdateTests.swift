import Foundation
import InletModel
import MongoStore
import Normalize
import Testing

/// `insertOrUpdate` (user imports) against the real SecantusDB: a new user is inserted whole, a
/// user the unique index already holds (created earlier, or by a concurrent writer between the
/// import reading the file and the insert) is merged exactly as the upsert of `identify` would.
@Suite("MongoStore insertOrUpdate")
struct MongoStoreInsertOrUpdateTests {
    static let first = Date(timeIntervalSince1970: 1_700_000_000)
    static let later = first.addingTimeInterval(3_600)

    static func user(_ id: String, _ traits: JSONObject, at seenAt: Date = later) -> [StoreWrite] {
        UserProfileWrites.makeInsertingFirst(tenantId: "acme", sourceId: "import", userId: id, traits: traits, seenAt: seenAt)
    }

    static func stored(_ store: MongoStore, _ id: String) async throws -> JSONObject? {
        try await store.findOne(Collections.userDetails, filter: ["tenantId": "acme", "userId": .string(id)])
    }

    @Test func newUserIsTheDocumentTheUpsertWouldCreate() async throws {
        try await MongoStoreTests.withStore { (store: MongoStore) async throws in
            #expect(await store.submit(Self.user("new", ["plan": "pro", "a.b": 1])).allSatisfy { $0 == .stored })
            let viaUpsert = UserProfileWrites.make(tenantId: "acme", sourceId: "import", userId: "upserted",
                                                   traits: ["plan": "pro", "a.b": 1], seenAt: Self.later)
            #expect(await store.submit(viaUpsert).allSatisfy(\.isDurable))
            let inserted = try #require(try await Self.stored(store, "new"))
            let upserted = try #require(try await Self.stored(store, "upserted"))
            // The same fields and values; their order is the server's business.
            let fields = { (document: JSONObject) in
                Dictionary(uniqueKeysWithValues: zip(document.keys, document.values)).filter { $0.key != "_id" && $0.key != "userId" }
            }
            #expect(fields(inserted) == fields(upserted))
            #expect(inserted["traits"] == ["plan": "pro", "a\u{FF0E}b": 1])
        }
    }

    /// The duplicate-key path, provoked deterministically: the user is written by someone else
    /// (an `identify`) before the import's insert reaches the server.
    @Test func existingUserIsMergedNotDuplicatedNorLost() async throws {
        try await MongoStoreTests.withStore { (store: MongoStore) async throws in
            let identify = UserProfileWrites.make(tenantId: "acme", sourceId: "web", userId: "u1",
                                                  traits: ["email": "a@example.com", "age": 30], seenAt: Self.first)
            #expect(await store.submit(identify).allSatisfy(\.isDurable))
            let outcomes = await store.submit(Self.user("u1", ["age": 31, "plan": "pro"]) + Self.user("u2", ["plan": "free"]))
            #expect(outcomes.allSatisfy { $0 == .stored })
            let u1 = try #require(try await Self.stored(store, "u1"))
            #expect(u1["traits"] == ["email": "a@example.com", "age": 31, "plan": "pro"])
            #expect(u1["firstSeenAt"] == .date(Self.first))
            #expect(u1["lastSeenAt"] == .date(Self.later))
            #expect(u1["sourceId"] == "import")
            #expect(try await Self.stored(store, "u2")?["traits"] == ["plan": "free"])
            #expect(try await store.count(Collections.userDetails) == 2)
            #expect(Set(try await store.find(Collections.userAttributes, filter: [:]).compactMap { $0["name"]?.stringValue })
                == ["email", "age", "plan"])
        }
    }

    @Test func sameUserTwiceInOneBulkMergesInOrder() async throws {
        try await MongoStoreTests.withStore { (store: MongoStore) async throws in
            let writes = Self.user("u1", ["plan": "free", "age": 20]) + Self.user("u1", ["plan": "pro"])
                + Self.user("u1", ["city": "Lyon"])
            #expect(await store.submit(writes).allSatisfy { $0 == .stored })
            #expect(try await Self.stored(store, "u1")?["traits"] == ["plan": "pro", "age": 20, "city": "Lyon"])
            #expect(try await store.count(Collections.userDetails) == 1)
        }
    }

    @Test func anUpdateThatFailsFailsItsWriteOnly() async throws {
        try await MongoStoreTests.withStore { (store: MongoStore) async throws in
            _ = await store.submit(Self.user("u1", ["plan": "free"]))
            // `$bogus` is no update operator: the update fails, and with it the write.
            let broken = StoreWrite.insertOrUpdate(
                Collections.userDetails, document: ["tenantId": "acme", "userId": "u1"],
                filter: ["tenantId": "acme", "userId": "u1"], update: ["$bogus": ["x": 1]])
            let outcomes = await store.submit([broken] + Self.user("u3", [:]))
            #expect(outcomes.first?.isDurable == false)
            #expect(outcomes.last == .stored)
            #expect(try await Self.stored(store, "u1")?["traits"] == ["plan": "free"])
        }
    }
}
