import NIOCore
import RedisClient

/// Remembers provider delivery ids for a while, so a replayed callback is recognised across
/// every inlet instance. `SET key 1 NX PX ttl` answers and records in one round trip.
public final class NonceStore: Sendable {
    private let redis: RedisClient

    public init(redis: RedisClient) {
        self.redis = redis
    }

    /// True the first time `key` is seen within `ttlMilliseconds`; false for a replay.
    /// Callers namespace the key (tenant, provider) themselves.
    public func firstSeen(_ key: String, ttlMilliseconds: Int, on eventLoop: any EventLoop) -> EventLoopFuture<Bool> {
        let promise = eventLoop.makePromise(of: Bool.self)
        firstSeen(key, ttlMilliseconds: ttlMilliseconds, on: eventLoop) { promise.completeWith($0) }
        return promise.futureResult
    }

    /// `firstSeen(_:ttlMilliseconds:on:)` for the hot path, where a provider's retries are
    /// checked on every callback: calls `then` once, on `eventLoop`, without a chain of futures.
    public func firstSeen(_ key: String, ttlMilliseconds: Int, on eventLoop: any EventLoop,
                          then: @escaping @Sendable (Result<Bool, any Error>) -> Void) {
        redis.send(["SET", key, "1", "NX", "PX", String(max(1, ttlMilliseconds))], on: eventLoop).whenComplete { reply in
            then(reply.flatMap { reply in
                switch reply {
                case .simpleString("OK"): return .success(true)
                case .null: return .success(false)
                default: return .failure(RedisClientError(.protocolError, "SET NX answered \(reply)"))
                }
            })
        }
    }
}
