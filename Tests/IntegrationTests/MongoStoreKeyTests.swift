import Foundation
import InletModel
import MongoStore
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

@Suite("MongoStore API keys")
struct MongoStoreKeyTests {
    @Test("keys are stored as lowercase hex SHA-256 (FIPS 180-2 test vectors)")
    func hashIsSHA256Hex() {
        #expect(APIKeyStore.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(APIKeyStore.hash("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func createLookupRevoke() async throws {
        let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
        try await MongoStoreTests.withStore { (store: MongoStore) async throws in
            let keys = APIKeyStore(store: store)
            let cache = APIKeyCache(store: store, ttl: .milliseconds(200), negativeTTL: .milliseconds(200))
            let rawKey = try await keys.create(tenantId: "acme", sourceId: "acme-web")
            #expect(rawKey.hasPrefix("ik_") && rawKey.count > 40)

            let found = try #require(try await cache.lookup(rawKey, on: eventLoop).get())
            #expect(found.tenantId == "acme")
            #expect(found.sourceId == "acme-web")
            #expect(rawKey.hasPrefix(found.prefix))
            #expect(try await cache.lookup(rawKey + "x", on: eventLoop).get() == nil)

            let documents = try await store.find(Collections.apiKeys, filter: [:])
            #expect(documents.count == 1)
            for document in documents {
                for (_, value) in document {
                    if case .string(let text) = value { #expect(!text.contains(String(rawKey.dropFirst(Self.visible)))) }
                }
                #expect(document["hash"] == .string(APIKeyStore.hash(rawKey)))
            }

            let listed = try await keys.list(tenantId: "acme")
            #expect(listed.map(\.prefix) == [found.prefix])
            #expect(try await keys.list(tenantId: "globex").isEmpty)

            #expect(try await keys.revoke(prefix: found.prefix) == 1)
            #expect(try await keys.list(tenantId: nil).first?.isRevoked == true)
            var answer: APIKeyRecord? = found
            for _ in 0..<50 where answer != nil {
                try await Task.sleep(for: .milliseconds(100))
                answer = try await cache.lookup(rawKey, on: eventLoop).get()
            }
            #expect(answer == nil)
        }
    }

    @Test("a cached key is answered once, before lookup returns on the loop, and on the loop when asked from elsewhere")
    func cachedKeyAnswersAtOnce() async throws {
        let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
        try await MongoStoreTests.withStore { (store: MongoStore) async throws in
            let cache = APIKeyCache(store: store, ttl: .seconds(60), negativeTTL: .seconds(60))
            let rawKey = try await APIKeyStore(store: store).create(tenantId: "acme", sourceId: "acme-web")
            let calls = NIOLockedValueBox<[(onLoop: Bool, tenantId: String?)]>([])
            let record: @Sendable (Result<APIKeyRecord?, any Error>) -> Void = { result in
                calls.withLockedValue { $0.append((eventLoop.inEventLoop, try? result.get()?.tenantId)) }
            }
            // Not cached yet: the store answers later, so nothing has been called when lookup returns.
            let missAnsweredAtOnce = try await eventLoop.submit {
                cache.lookup(rawKey, on: eventLoop, then: record)
                return calls.withLockedValue { $0.count }
            }.get()
            #expect(missAnsweredAtOnce == 0)
            for _ in 0..<100 where calls.withLockedValue({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(50)) }
            // Cached: answered before lookup returns.
            let hitAnsweredAtOnce = try await eventLoop.submit {
                cache.lookup(rawKey, on: eventLoop, then: record)
                return calls.withLockedValue { $0.count }
            }.get()
            #expect(hitAnsweredAtOnce == 2)
            // From another thread: still on the loop.
            cache.lookup(rawKey, on: eventLoop, then: record)
            try await eventLoop.submit {}.get()  // anything still queued on the loop has run
            let seen = calls.withLockedValue { $0 }
            #expect(seen.map(\.onLoop) == [true, true, true])
            #expect(seen.map(\.tenantId) == ["acme", "acme", "acme"])
        }
    }

    /// Characters of the key that the stored prefix may show; the rest must appear nowhere.
    static let visible = APIKeyStore.prefixLength
}
