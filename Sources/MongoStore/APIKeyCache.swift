import Crypto
import InletModel
import NIOConcurrencyHelpers
import NIOCore

/// Write-key lookups for the hot path: answered from memory while fresh, else by one `findOne`
/// on the store's pool. Unknown keys are remembered too (for `negativeTTL`), so a client
/// hammering with a wrong key costs one query per interval, not one per request. Entries are
/// keyed by the key's SHA-256 digest (the stored hash before it is written as hex); the raw key
/// is never kept.
///
/// One query per key at a time: callers that miss while that key's query is in flight wait for
/// its answer instead of sending their own. Without this, every request of a busy key that
/// arrived between its entry's expiry and the store's answer sent a `findOne` (about 250 at each
/// expiry under the `track` benchmark, thousands at production rates). And a key in use is
/// fetched again shortly before its entry expires (`refreshAfter`), while callers are still
/// answered from memory, so a busy key never waits for the store at all. A revoked key still
/// stops working at most `ttl` after the revocation.
public final class APIKeyCache: Sendable {
    private struct Entry {
        var record: APIKeyRecord?
        var expires: NIODeadline
        /// From then on, the next lookup also starts a query in the background.
        var refreshAt: NIODeadline
    }

    typealias Answer = @Sendable (Result<APIKeyRecord?, any Error>) -> Void
    private struct Waiter {
        let eventLoop: any EventLoop
        let then: Answer
    }

    private struct State {
        var entries: [SHA256Digest: Entry] = [:]
        /// Keys whose query is in flight, with the callers waiting for its answer (none for a
        /// background refresh).
        var inFlight: [SHA256Digest: [Waiter]] = [:]
    }

    private let fetch: @Sendable (SHA256Digest, any EventLoop) -> EventLoopFuture<APIKeyRecord?>
    private let now: @Sendable () -> NIODeadline
    private let ttl: TimeAmount
    private let negativeTTL: TimeAmount
    private let maxEntries: Int
    private let state = NIOLockedValueBox(State())

    /// - Parameters:
    ///   - ttl: how long a found key is trusted; a revoked key keeps working at most this long.
    ///   - negativeTTL: how long "no such key" is remembered.
    public convenience init(store: MongoStore, ttl: TimeAmount = .seconds(5), negativeTTL: TimeAmount = .seconds(1),
                            maxEntries: Int = 100_000) {
        self.init(ttl: ttl, negativeTTL: negativeTTL, maxEntries: maxEntries, now: { NIODeadline.now() }) { digest, eventLoop in
            store.findOne(Collections.apiKeys, filter: ["hash": .string(APIKeyStore.hex(digest))], on: eventLoop).map { document in
                document.flatMap(APIKeyRecord.init(document:)).flatMap { $0.isRevoked ? nil : $0 }
            }
        }
    }

    /// `fetch` answers the active record of a digest (`nil`: unknown or revoked); `now` is the clock.
    init(ttl: TimeAmount, negativeTTL: TimeAmount, maxEntries: Int, now: @escaping @Sendable () -> NIODeadline,
         fetch: @escaping @Sendable (SHA256Digest, any EventLoop) -> EventLoopFuture<APIKeyRecord?>) {
        self.fetch = fetch
        self.now = now
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
        lookup(digest: APIKeyStore.digest(rawKey), on: eventLoop, then: then)
    }

    /// `lookup(_:on:then:)` of a key already hashed (`APIKeyStore.digest`), for a caller that
    /// remembers the digest of a credential it sees again (`RecentCredential`).
    public func lookup(digest: SHA256Digest, on eventLoop: any EventLoop,
                       then: @escaping @Sendable (Result<APIKeyRecord?, any Error>) -> Void) {
        if let record = cachedRecord(digest: digest, on: eventLoop) {
            return Self.deliver(.success(record), on: eventLoop, to: then)
        }
        enum Next { case answer(APIKeyRecord?), query, wait }
        let now = self.now()
        let next: Next = state.withLockedValue { state in
            // Filled since `cachedRecord` looked.
            if let cached = state.entries[digest], cached.expires > now { return .answer(cached.record) }
            if state.inFlight[digest] != nil {
                state.inFlight[digest]!.append(Waiter(eventLoop: eventLoop, then: then))
                return .wait
            }
            state.inFlight[digest] = [Waiter(eventLoop: eventLoop, then: then)]
            return .query
        }
        switch next {
        case .answer(let record):
            Self.deliver(.success(record), on: eventLoop, to: then)
        case .query:
            query(digest, on: eventLoop)
        case .wait:
            break
        }
    }

    /// The record of a key whose entry is fresh, known at once: `.some(nil)` for an unknown or
    /// revoked key, `nil` when the store must be asked (then call `lookup`). A key in use close
    /// to expiry starts its background query here, as `lookup` does. For the hot path: a cached
    /// key costs the caller no closure (one per request, with all it captured).
    public func cachedRecord(digest: SHA256Digest, on eventLoop: any EventLoop) -> APIKeyRecord?? {
        let now = self.now()
        let found: (record: APIKeyRecord?, refresh: Bool)? = state.withLockedValue { state in
            guard let cached = state.entries[digest], cached.expires > now else { return nil }
            // A key in use, close to expiry: one background query, unless one is in flight.
            let refresh = cached.refreshAt <= now && state.inFlight[digest] == nil
            if refresh { state.inFlight[digest] = [] }
            return (cached.record, refresh)
        }
        guard let found else { return nil }
        if found.refresh { query(digest, on: eventLoop) }
        return .some(found.record)
    }

    /// Asks the store, caches a definite answer (not a failure: the next lookup asks again), and
    /// answers everyone who waited for it, each on their own loop.
    private func query(_ digest: SHA256Digest, on eventLoop: any EventLoop) {
        fetch(digest, eventLoop).whenComplete { result in
            let waiters: [Waiter] = self.state.withLockedValue { state in
                if case .success(let record) = result {
                    let now = self.now()
                    let lifetime = record == nil ? self.negativeTTL : self.ttl
                    // A crude bound: keys are few; a flood of random keys must not grow memory.
                    if state.entries.count >= self.maxEntries { state.entries.removeAll(keepingCapacity: true) }
                    state.entries[digest] = Entry(record: record, expires: now + lifetime, refreshAt: now + Self.refreshAfter(lifetime))
                }
                return state.inFlight.removeValue(forKey: digest) ?? []
            }
            for waiter in waiters { Self.deliver(result, on: waiter.eventLoop, to: waiter.then) }
        }
    }

    /// Calls `then` with `result` on `eventLoop`: at once when already there, else in a task.
    private static func deliver(_ result: Result<APIKeyRecord?, any Error>, on eventLoop: any EventLoop, to then: @escaping Answer) {
        guard eventLoop.inEventLoop else { return eventLoop.execute { then(result) } }
        then(result)
    }

    /// When a fresh entry starts being refreshed: after four fifths of its lifetime.
    static func refreshAfter(_ lifetime: TimeAmount) -> TimeAmount {
        .nanoseconds(lifetime.nanoseconds / 5 * 4)
    }
}
