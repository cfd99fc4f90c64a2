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
        redis.send(["SET", key, "1", "NX", "PX", String(max(1, ttlMilliseconds))], on: eventLoop).flatMapThrowing { reply in
            switch reply {
            case .simpleString("OK"): return true
            case .null: return false
            default: throw RedisClientError(.protocolError, "SET NX answered \(reply)")
            }
        }
    }
}
