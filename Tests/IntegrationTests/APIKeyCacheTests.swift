import Crypto
import Foundation
import InletModel
@testable import MongoStore
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

/// `APIKeyCache`'s single flight and refresh, with the store's query replaced by a counted promise
/// (pure logic), and once against SecantusDB.
@Suite("API key cache: one query per key")
struct APIKeyCacheTests {
    /// The store's query, stood in for: counts calls and leaves each answer to the test.
    final class FakeQuery: Sendable {
        private let pending = NIOLockedValueBox<[EventLoopPromise<APIKeyRecord?>]>([])

        var calls: Int { pending.withLockedValue { $0.count } }

        func fetch(_ digest: SHA256Digest, _ eventLoop: any EventLoop) -> EventLoopFuture<APIKeyRecord?> {
            let promise = eventLoop.makePromise(of: APIKeyRecord?.self)
            pending.withLockedValue { $0.append(promise) }
            return promise.futureResult
        }

        /// Completes the `index`th query.
        func answer(_ index: Int, with result: Result<APIKeyRecord?, any Error>) {
            let promise = pending.withLockedValue { $0[index] }
            promise.completeWith(result)
        }
    }

    /// What the callers were told, and whether each was told on the loop it asked for.
    final class Answers: Sendable {
        private let box = NIOLockedValueBox<[(onLoop: Bool, tenantId: String?, failed: Bool)]>([])
        var all: [(onLoop: Bool, tenantId: String?, failed: Bool)] { box.withLockedValue { $0 } }

        func recorder(on eventLoop: any EventLoop) -> @Sendable (Result<APIKeyRecord?, any Error>) -> Void {
            { result in
                let (tenantId, failed): (String?, Bool) = switch result {
                case .success(let record): (record?.tenantId, false)
                case .failure: (nil, true)
                }
                self.box.withLockedValue { $0.append((eventLoop.inEventLoop, tenantId, failed)) }
            }
        }

        func waitFor(_ count: Int) async throws {
            for _ in 0..<200 where all.count < count { try await Task.sleep(for: .milliseconds(10)) }
        }
    }

    struct StoreDown: Error {}

    static let record = APIKeyRecord(prefix: "ik_test", tenantId: "acme", sourceId: "acme-web", createdAt: Date(), revokedAt: nil)

    static func cache(_ query: FakeQuery, clock: NIOLockedValueBox<NIODeadline>) -> APIKeyCache {
        APIKeyCache(ttl: .seconds(5), negativeTTL: .seconds(1), maxEntries: 100, now: { clock.withLockedValue { $0 } },
                    fetch: query.fetch)
    }

    @Test("misses of one key while its query is in flight wait for that query; each caller hears on its own loop")
    func concurrentMissesShareOneQuery() async throws {
        let loops = [MultiThreadedEventLoopGroup.singleton.next(), MultiThreadedEventLoopGroup.singleton.next()]
        let query = FakeQuery()
        let clock = NIOLockedValueBox(NIODeadline.now())
        let cache = Self.cache(query, clock: clock)
        let answers = Answers()
        for index in 0..<20 {
            let loop = loops[index % 2]
            // Half asked on their loop, half from this task's thread.
            if index % 4 < 2 {
                try await loop.submit { cache.lookup("ik_key", on: loop, then: answers.recorder(on: loop)) }.get()
            } else {
                cache.lookup("ik_key", on: loop, then: answers.recorder(on: loop))
            }
        }
        #expect(query.calls == 1)
        #expect(answers.all.isEmpty)
        query.answer(0, with: .success(Self.record))
        try await answers.waitFor(20)
        #expect(answers.all.count == 20)
        #expect(answers.all.allSatisfy { $0.onLoop && $0.tenantId == "acme" })
        // Cached now: no further query.
        cache.lookup("ik_key", on: loops[0], then: answers.recorder(on: loops[0]))
        try await answers.waitFor(21)
        #expect(query.calls == 1)
        // Another key is a query of its own.
        cache.lookup("ik_other", on: loops[0], then: answers.recorder(on: loops[0]))
        #expect(query.calls == 2)
    }

    @Test("a key in use is fetched again once before it expires, callers answered from memory meanwhile; a revocation found so applies at once")
    func refreshBeforeExpiry() async throws {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let query = FakeQuery()
        let start = NIODeadline.now()
        let clock = NIOLockedValueBox(start)
        let cache = Self.cache(query, clock: clock)
        let answers = Answers()
        let ask = { @Sendable in try await loop.submit { cache.lookup("ik_key", on: loop, then: answers.recorder(on: loop)) }.get() }

        try await ask()
        query.answer(0, with: .success(Self.record))
        try await answers.waitFor(1)

        clock.withLockedValue { $0 = start + .seconds(3) }  // fresh, not yet due for refresh (4 s)
        try await ask()
        #expect(query.calls == 1)
        #expect(answers.all.count == 2)

        clock.withLockedValue { $0 = start + .milliseconds(4_500) }  // due: one background query
        for _ in 0..<10 { try await ask() }
        #expect(query.calls == 2)
        #expect(answers.all.count == 12)  // all from memory, before the query answers
        #expect(answers.all.allSatisfy { $0.tenantId == "acme" })

        query.answer(1, with: .success(nil))  // revoked meanwhile
        try await loop.submit {}.get()
        try await ask()
        try await answers.waitFor(13)
        #expect(answers.all.last?.tenantId == nil)
        #expect(answers.all.last?.failed == false)
        #expect(query.calls == 2)
    }

    @Test("cachedRecord answers only from a fresh entry, and starts the refresh of a key close to expiry")
    func cachedRecordFastPath() async throws {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let query = FakeQuery()
        let start = NIODeadline.now()
        let clock = NIOLockedValueBox(start)
        let cache = Self.cache(query, clock: clock)
        let digest = APIKeyStore.digest("ik_key")
        let cached = { @Sendable in try await loop.submit { cache.cachedRecord(digest: digest, on: loop) }.get() }

        // Unknown to the cache: the store must be asked, and `cachedRecord` asks nothing itself.
        #expect(try await cached() == nil)
        #expect(query.calls == 0)

        let answers = Answers()
        try await loop.submit { cache.lookup("ik_key", on: loop, then: answers.recorder(on: loop)) }.get()
        query.answer(0, with: .success(Self.record))
        try await answers.waitFor(1)
        #expect(try await cached()??.tenantId == "acme")

        clock.withLockedValue { $0 = start + .milliseconds(4_500) }  // due for its refresh
        #expect(try await cached()??.tenantId == "acme")
        #expect(query.calls == 2)
        #expect(try await cached()??.tenantId == "acme")
        #expect(query.calls == 2)  // one refresh in flight, not one per call
        query.answer(1, with: .success(nil))  // revoked meanwhile
        try await loop.submit {}.get()
        let afterRevocation = try await cached()
        #expect(afterRevocation != nil && afterRevocation! == nil)

        clock.withLockedValue { $0 = start + .seconds(10) }  // the negative entry expired too
        #expect(try await cached() == nil)
    }

    @Test("a failed query is not cached: its waiters hear the failure, and the next lookup asks again")
    func failureIsNotCached() async throws {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let query = FakeQuery()
        let clock = NIOLockedValueBox(NIODeadline.now())
        let cache = Self.cache(query, clock: clock)
        let answers = Answers()
        for _ in 0..<3 { cache.lookup("ik_key", on: loop, then: answers.recorder(on: loop)) }
        #expect(query.calls == 1)
        query.answer(0, with: .failure(StoreDown()))
        try await answers.waitFor(3)
        #expect(answers.all.count == 3)
        #expect(answers.all.allSatisfy { $0.failed && $0.onLoop })

        cache.lookup("ik_key", on: loop, then: answers.recorder(on: loop))
        #expect(query.calls == 2)
        query.answer(1, with: .success(Self.record))
        try await answers.waitFor(4)
        #expect(answers.all.last?.tenantId == "acme")
    }

    @Test("against SecantusDB: many concurrent first lookups of a key all get its record, an unknown key nil")
    func concurrentMissesAgainstTheStore() async throws {
        try await MongoStoreTests.withStore { (store: MongoStore) async throws in
            let rawKey = try await APIKeyStore(store: store).create(tenantId: "acme", sourceId: "acme-web")
            let cache = APIKeyCache(store: store)
            let found = try await withThrowingTaskGroup(of: (String?, String?).self) { group in
                for _ in 0..<50 {
                    let loop = MultiThreadedEventLoopGroup.singleton.next()
                    group.addTask {
                        async let known = cache.lookup(rawKey, on: loop).get()
                        async let unknown = cache.lookup(rawKey + "x", on: loop).get()
                        return (try await known?.tenantId, try await unknown?.tenantId)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(found.count == 50)
            #expect(found.allSatisfy { $0.0 == "acme" && $0.1 == nil })
        }
    }
}
