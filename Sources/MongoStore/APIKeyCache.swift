import Crypto
import InletModel
import NIOConcurrencyHelpers
import NIOCore

/// Write-key lookups for the hot path: answered from memory while fresh, else by one `findOne`
/// on the store's pool. Unknown keys are remembered too (for `negativeTTL`), so a client
/// hammering with a wrong key costs one query per interval, not one per request. Entries are
/// keyed by the key's SHA-256 digest (the stored hash before it is written as hex); the raw key
/// is never kept.
public final class APIKeyCache: Sendable {
    private struct Entry {
        var record: APIKeyRecord?
        var expires: NIODeadline
    }

    private let store: MongoStore
    private let ttl: TimeAmount
    private let negativeTTL: TimeAmount
    private let maxEntries: Int
    private let entries = NIOLockedValueBox<[SHA256Digest: Entry]>([:])

    /// - Parameters:
    ///   - ttl: how long a found key is trusted; a revoked key keeps working at most this long.
    ///   - negativeTTL: how long "no such key" is remembered.
    public init(store: MongoStore, ttl: TimeAmount = .seconds(5), negativeTTL: TimeAmount = .seconds(1), maxEntries: Int = 100_000) {
        self.store = store
        self.ttl = ttl
        self.negativeTTL = negativeTTL
        self.maxEntries = maxEntries
    }

    /// The active key's record, or `nil` for an unknown or revoked key. Fails only when the
    /// store cannot answer (map that to `503`, not `401`).
    public func lookup(_ rawKey: String, on eventLoop: any EventLoop) -> EventLoopFuture<APIKeyRecord?> {
        let promise = eventLoop.makePromise(of: APIKeyRecord?.self)
        lookup(rawKey, on: eventLoop) { promise.completeWith($0) }
        return promise.futureResult
    }

    /// `lookup(_:on:)` for the hot path: calls `then` once, on `eventLoop`. A cached key is
    /// answered before this returns when called on `eventLoop` (most requests): no future, no task.
    public func lookup(_ rawKey: String, on eventLoop: any EventLoop,
                       then: @escaping @Sendable (Result<APIKeyRecord?, any Error>) -> Void) {
        let digest = APIKeyStore.digest(rawKey)
        let now = NIODeadline.now()
        let cached: Entry? = entries.withLockedValue { $0[digest] }
        if let cached, cached.expires > now {
            guard eventLoop.inEventLoop else { return eventLoop.execute { then(.success(cached.record)) } }
            return then(.success(cached.record))
        }
        store.findOne(Collections.apiKeys, filter: ["hash": .string(APIKeyStore.hex(digest))], on: eventLoop).whenComplete { found in
            then(found.map { document in
                let record = document.flatMap(APIKeyRecord.init(document:)).flatMap { $0.isRevoked ? nil : $0 }
                let expires = NIODeadline.now() + (record == nil ? self.negativeTTL : self.ttl)
                self.entries.withLockedValue { entries in
                    // A crude bound: keys are few; a flood of random keys must not grow memory.
                    if entries.count >= self.maxEntries { entries.removeAll(keepingCapacity: true) }
                    entries[digest] = Entry(record: record, expires: expires)
                }
                return record
            })
        }
    }
}
