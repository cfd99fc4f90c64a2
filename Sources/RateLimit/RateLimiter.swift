import InletModel
import Logging
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import RedisClient

/// Decides whether a tenant's source may send `cost` more events, in one Redis round trip
/// (`EVALSHA` of `GCRAScript`), so every inlet instance shares one limit.
///
/// Checks of one key asked for on one event loop before it runs its queued tasks are decided
/// together, with one `EVALSHA` of their summed cost (see `decide(_:)`); a refusal falls back to
/// one call per check, so the outcome is the same as deciding them one by one.
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
    /// One per loop of the client, built here and never mutated, so finding it takes no lock.
    private let pendingByLoop: [ObjectIdentifier: PendingChecks]

    public init(redis: RedisClient, logger: Logger) {
        self.redis = redis
        self.logger = logger
        var pendingByLoop: [ObjectIdentifier: PendingChecks] = [:]
        for loop in redis.eventLoops {
            pendingByLoop[ObjectIdentifier(loop)] = PendingChecks(eventLoop: loop)
        }
        self.pendingByLoop = pendingByLoop
    }

    /// The Redis key of a tenant's source; the hash tag keeps it on one cluster slot.
    public static func key(tenantId: String, sourceId: String) -> String {
        "inlet:rl:{\(tenantId):\(sourceId)}"
    }

    /// `check(tenantId:sourceId:policy:cost:on:then:)` as a future.
    public func check(tenantId: String, sourceId: String, policy: RateLimitPolicy, cost: Int, on eventLoop: any EventLoop) -> EventLoopFuture<RateLimitDecision> {
        let decided = eventLoop.makePromise(of: RateLimitDecision.self)
        check(tenantId: tenantId, sourceId: sourceId, policy: policy, cost: cost, on: eventLoop) { decided.succeed($0) }
        return decided.futureResult
    }

    /// Calls `then` once, on `eventLoop`, with the decision; Redis outages are answered with the
    /// policy's fallback, so there is no failure. A callback rather than a future: this runs for
    /// every request.
    public func check(tenantId: String, sourceId: String, policy: RateLimitPolicy, cost: Int, on eventLoop: any EventLoop,
                      then: @escaping @Sendable (RateLimitDecision) -> Void) {
        guard eventLoop.inEventLoop else {
            return eventLoop.execute { self.check(tenantId: tenantId, sourceId: sourceId, policy: policy, cost: cost, on: eventLoop, then: then) }
        }
        let check = PendingChecks.Check(cost: cost, decided: then)
        guard let pending = pendingByLoop[ObjectIdentifier(eventLoop)] else {
            // A loop the client has no connections of: nothing to share a tick with.
            return decideAlone(check, key: Self.key(tenantId: tenantId, sourceId: sourceId), policy: policy, gcra: GCRA(policy: policy),
                               on: eventLoop)
        }
        add(check, tenantId: tenantId, sourceId: sourceId, policy: policy, to: pending)
    }

    /// The first check of a tick schedules the decision of every group for when the loop runs its
    /// queued tasks, after the reads of this tick: no timer, no added latency.
    private func add(_ check: PendingChecks.Check, tenantId: String, sourceId: String, policy: RateLimitPolicy, to pending: PendingChecks) {
        guard pending.add(tenantId: tenantId, sourceId: sourceId, policy: policy, check) else { return }
        pending.eventLoop.execute {
            for group in pending.take() {
                self.decide(group, on: pending.eventLoop)
            }
        }
    }

    /// A group of one is decided alone. A larger one whose summed cost fits the burst is sent as one
    /// call: if allowed, each check gets its part as if decided right after the ones before it; if
    /// refused, the script changed nothing, so each check is decided alone, in arrival order, as if
    /// the summed call had never been made. A summed cost above the burst is allowed only on a full
    /// bucket, and then the checks' parts would not be what each got alone, so such a group goes
    /// one by one at once.
    private func decide(_ group: PendingChecks.Group, on eventLoop: any EventLoop) {
        let gcra = GCRA(policy: group.policy)
        let key = Self.key(tenantId: group.tenantId, sourceId: group.sourceId)
        guard group.count > 1 else {
            return decideAlone(group.first, key: key, policy: group.policy, gcra: gcra, on: eventLoop)
        }
        let checks = group.checks
        let total = checks.reduce(0) { $0 + max(0, $1.cost) }
        guard total <= gcra.burst else {
            return decideEachAlone(checks, key: key, policy: group.policy, gcra: gcra, on: eventLoop)
        }
        evaluateInRedis(key: key, gcra: gcra, cost: total, on: eventLoop) { result in
            switch result {
            case .success(let summed) where summed.allowed:
                self.redisAnswered()
                self.metrics.allowed.increment(by: checks.count)
                var eventsSoFar = 0
                for check in checks {
                    eventsSoFar += max(0, check.cost)
                    let outcome = gcra.outcome(partOf: summed, eventsAfter: total - eventsSoFar)
                    check.decided(RateLimitDecision(outcome, gcra: gcra))
                }
            case .success:
                self.redisAnswered()
                self.decideEachAlone(checks, key: key, policy: group.policy, gcra: gcra, on: eventLoop)
            case .failure(let error):
                self.redisFailed(error)
                for check in checks {
                    check.decided(self.fallback(key: key, policy: group.policy, gcra: gcra, cost: check.cost))
                }
            }
        }
    }

    /// One call per check, all written at once so they pipeline, in arrival order.
    private func decideEachAlone(_ checks: [PendingChecks.Check], key: String, policy: RateLimitPolicy, gcra: GCRA,
                                 on eventLoop: any EventLoop) {
        for check in checks {
            decideAlone(check, key: key, policy: policy, gcra: gcra, on: eventLoop)
        }
    }

    private func decideAlone(_ check: PendingChecks.Check, key: String, policy: RateLimitPolicy, gcra: GCRA, on eventLoop: any EventLoop) {
        evaluateInRedis(key: key, gcra: gcra, cost: check.cost, on: eventLoop) { result in
            switch result {
            case .success(let outcome):
                self.redisAnswered()
                (outcome.allowed ? self.metrics.allowed : self.metrics.limited).increment()
                check.decided(RateLimitDecision(outcome, gcra: gcra))
            case .failure(let error):
                self.redisFailed(error)
                check.decided(self.fallback(key: key, policy: policy, gcra: gcra, cost: check.cost))
            }
        }
    }

    /// Callbacks on the client's future rather than a chain of futures: this runs for every
    /// decision, and each future of a chain is an allocation and a release of its own.
    private func evaluateInRedis(
        key: String, gcra: GCRA, cost: Int, on eventLoop: any EventLoop,
        _ completion: @escaping @Sendable (Result<GCRA.Outcome, any Error>) -> Void
    ) {
        let command = GCRACommand.encode(key: key, gcra: gcra, cost: cost)
        let redis = self.redis
        let decide: @Sendable (Result<RESPValue, any Error>) -> Void = { reply in
            completion(reply.flatMap { reply in Result { try Self.outcome(from: reply) } })
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

    private static func outcome(from reply: RESPValue) throws -> GCRA.Outcome {
        guard case .array(let values) = reply, values.count == 4,
              let allowed = values[0].integer, let remaining = values[1].integer,
              let reset = values[2].integer, let retryAfter = values[3].integer
        else {
            throw RedisClientError(.protocolError, "GCRA script answered \(reply)")
        }
        return GCRA.Outcome(
            allowed: allowed == 1,
            remaining: Int(max(0, remaining)),
            resetMicroseconds: reset,
            retryAfterMicroseconds: retryAfter,
            newTAT: nil
        )
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
