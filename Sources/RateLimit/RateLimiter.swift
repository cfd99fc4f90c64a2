import InletModel
import Logging
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import RedisClient

/// Decides whether a tenant's source may send `cost` more events, in one Redis round trip
/// (`EVALSHA` of `GCRAScript`), so every inlet instance shares one limit.
///
/// While Redis is sick (an error, or no answer within the client's command timeout), a policy that
/// fails open decides with an in-process GCRA per instance, and one that fails closed answers
/// `unavailable`. The first Redis answer after that switches back; each switch is logged once.
public final class RateLimiter: Sendable {
    private let redis: RedisClient
    private let logger: Logger
    private let local = NIOLockedValueBox(LocalRateLimiter())
    private let redisDown = NIOLockedValueBox(false)
    private let metrics = RateLimitMetrics()

    public init(redis: RedisClient, logger: Logger) {
        self.redis = redis
        self.logger = logger
    }

    /// The Redis key of a tenant's source; the hash tag keeps it on one cluster slot.
    public static func key(tenantId: String, sourceId: String) -> String {
        "inlet:rl:{\(tenantId):\(sourceId)}"
    }

    public func check(tenantId: String, sourceId: String, policy: RateLimitPolicy, cost: Int, on eventLoop: any EventLoop) -> EventLoopFuture<RateLimitDecision> {
        let gcra = GCRA(policy: policy)
        if cost > gcra.burst {
            metrics.limited.increment()
            return eventLoop.makeSucceededFuture(.refusedForCost(limit: gcra.burst))
        }
        let key = Self.key(tenantId: tenantId, sourceId: sourceId)
        // One promise and callbacks rather than a chain of futures: this runs for every request,
        // and each future of a chain is an allocation and a release of its own.
        let decided = eventLoop.makePromise(of: RateLimitDecision.self)
        evaluateInRedis(key: key, gcra: gcra, cost: cost, on: eventLoop) { result in
            switch result {
            case .success(let decision):
                self.redisAnswered()
                (decision.allowed ? self.metrics.allowed : self.metrics.limited).increment()
                decided.succeed(decision)
            case .failure(let error):
                self.redisFailed(error)
                decided.succeed(self.fallback(key: key, policy: policy, gcra: gcra, cost: cost))
            }
        }
        return decided.futureResult
    }

    private func evaluateInRedis(
        key: String, gcra: GCRA, cost: Int, on eventLoop: any EventLoop,
        _ completion: @escaping @Sendable (Result<RateLimitDecision, any Error>) -> Void
    ) {
        let command = GCRACommand.encode(key: key, gcra: gcra, cost: cost)
        let redis = self.redis
        let decide: @Sendable (Result<RESPValue, any Error>) -> Void = { reply in
            completion(reply.flatMap { reply in Result { try Self.decision(from: reply, gcra: gcra) } })
        }
        redis.send(encoded: command, on: eventLoop).whenComplete { reply in
            // After a restart or SCRIPT FLUSH the script is gone: load it and retry once.
            guard case .success(.error(let message)) = reply, message.hasPrefix("NOSCRIPT") else {
                return decide(reply)
            }
            redis.send(["SCRIPT", "LOAD", GCRAScript.source], on: eventLoop).whenComplete { loaded in
                if case .failure(let error) = loaded { return decide(.failure(error)) }
                redis.send(encoded: command, on: eventLoop).whenComplete(decide)
            }
        }
    }

    private static func decision(from reply: RESPValue, gcra: GCRA) throws -> RateLimitDecision {
        guard let values = reply.array, values.count == 4,
              let allowed = values[0].integer, let remaining = values[1].integer,
              let reset = values[2].integer, let retryAfter = values[3].integer
        else {
            throw RedisClientError(.protocolError, "GCRA script answered \(reply)")
        }
        let outcome = GCRA.Outcome(
            allowed: allowed == 1,
            remaining: Int(max(0, remaining)),
            resetMicroseconds: reset,
            retryAfterMicroseconds: retryAfter,
            newTAT: nil
        )
        return RateLimitDecision(outcome, gcra: gcra)
    }

    private func fallback(key: String, policy: RateLimitPolicy, gcra: GCRA, cost: Int) -> RateLimitDecision {
        switch policy.onRedisDown {
        case .closed:
            metrics.unavailable.increment()
            return .unavailable(limit: gcra.burst)
        case .open:
            let now = Int64(NIODeadline.now().uptimeNanoseconds / 1000)
            let decision = local.withLockedValue { $0.check(key: key, policy: policy, cost: cost, nowMicroseconds: now) }
            (decision.allowed ? metrics.fallbackAllowed : metrics.fallbackLimited).increment()
            return decision
        }
    }

    private func redisAnswered() {
        guard redisDown.withLockedValue({ down in defer { down = false }; return down }) else { return }
        metrics.fallbackActive.record(0)
        logger.info("rate limiting is back on redis")
    }

    private func redisFailed(_ error: any Error) {
        guard !redisDown.withLockedValue({ down in defer { down = true }; return down }) else { return }
        metrics.fallbackActive.record(1)
        logger.warning("redis unavailable for rate limiting; falling back per policy", metadata: ["error": "\(error)"])
    }
}
