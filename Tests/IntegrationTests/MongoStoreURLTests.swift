import Testing

@testable import MongoStore

/// What the store refuses in its URL at start-up, before anything is submitted.
@Suite("MongoDB URL")
struct MongoStoreURLTests {
    @Test("w=0 is refused: the store could confirm no write; acknowledged write concerns are taken")
    func unacknowledgedWritesAreRefused() async throws {
        // Nothing listens on port 1: building a store connects to nothing.
        let error = try #require(throws: MongoStoreError.self) { try MongoStore(url: "mongodb://127.0.0.1:1/inlet?w=0") }
        #expect(error.code == .invalidURL)
        #expect(error.message.contains("w=0"))
        for query in ["", "?w=1", "?w=majority", "?w=2&journal=true"] {
            let store = try MongoStore(url: "mongodb://127.0.0.1:1/inlet\(query)")
            try await store.shutdown()
        }
        #expect(throws: MongoStoreError.self) { try MongoStore(url: "not a url") }
    }
}
