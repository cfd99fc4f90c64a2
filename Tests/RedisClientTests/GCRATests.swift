import InletModel
import Testing

@testable import RateLimit

@Suite struct GCRATests {
    /// 10 events/s (one every 100 ms) with a burst of 5.
    private let policy = RateLimitPolicy(perSecond: 10, burst: 5)
    private let second: Int64 = 1_000_000

    @Test func allowsTheBurstAtOnceThenRefuses() {
        var limiter = LocalRateLimiter()
        let decisions = (0..<6).map { _ in limiter.check(key: "k", policy: policy, cost: 1, nowMicroseconds: 10 * second) }
        #expect(decisions.prefix(5).allSatisfy { $0.allowed })
        #expect(decisions.prefix(5).map(\.remaining) == [4, 3, 2, 1, 0])
        #expect(!decisions[5].allowed)
        #expect(decisions[5].retryAfterSeconds == 1)
        #expect(decisions[5].limit == 5)
    }

    @Test func refillsAtTheRate() {
        var limiter = LocalRateLimiter()
        let start = 10 * second
        #expect(limiter.check(key: "k", policy: policy, cost: 5, nowMicroseconds: start).allowed)
        #expect(!limiter.check(key: "k", policy: policy, cost: 1, nowMicroseconds: start + 50_000).allowed)
        #expect(limiter.check(key: "k", policy: policy, cost: 1, nowMicroseconds: start + 100_000).allowed)
        #expect(!limiter.check(key: "k", policy: policy, cost: 2, nowMicroseconds: start + 150_000).allowed)
        #expect(limiter.check(key: "k", policy: policy, cost: 2, nowMicroseconds: start + 300_000).allowed)
    }

    @Test func acceptsBurstPlusRateTimesElapsed() {
        var limiter = LocalRateLimiter()
        var accepted = 0
        // One event attempted every millisecond from 0 to 2 s inclusive: 5 + 10 × 2 = 25 get through.
        for millisecond in 0...2000 {
            if limiter.check(key: "k", policy: policy, cost: 1, nowMicroseconds: second + Int64(millisecond) * 1000).allowed {
                accepted += 1
            }
        }
        #expect(accepted == 25)
    }

    @Test func aRefusedRequestDoesNotConsume() {
        var limiter = LocalRateLimiter()
        #expect(limiter.check(key: "k", policy: policy, cost: 4, nowMicroseconds: second).allowed)
        #expect(!limiter.check(key: "k", policy: policy, cost: 3, nowMicroseconds: second).allowed)
        #expect(limiter.check(key: "k", policy: policy, cost: 1, nowMicroseconds: second).allowed)
    }

    /// A request of more events than the burst waits for a full bucket, then goes through and
    /// is paid for by the requests after it; the long-run rate is unchanged.
    @Test func costAboveBurstPassesOnAFullBucketAndIsPaidForAfterwards() {
        var limiter = LocalRateLimiter()
        let start = 10 * second
        #expect(limiter.check(key: "k", policy: policy, cost: 1, nowMicroseconds: start).allowed)
        // One event taken: the bucket is full again 100 ms later, and not before.
        let early = limiter.check(key: "k", policy: policy, cost: 8, nowMicroseconds: start + 50_000)
        #expect(!early.allowed)
        #expect(early.retryAfterSeconds == 1)
        #expect(early.remaining == 4)
        let full = limiter.check(key: "k", policy: policy, cost: 8, nowMicroseconds: start + 100_000)
        #expect(full.allowed)
        #expect(full.remaining == 0)
        #expect(full.resetSeconds == 1)
        // 8 events from a bucket of 5 leave it 3 in debt: at 10/s the next event passes 400 ms
        // later, and the next 8 once the bucket is full again, 500 ms after that.
        let inDebt = limiter.check(key: "k", policy: policy, cost: 1, nowMicroseconds: start + 499_000)
        #expect(!inDebt.allowed)
        #expect(inDebt.remaining == 0)
        #expect(limiter.check(key: "k", policy: policy, cost: 1, nowMicroseconds: start + 500_000).allowed)
        #expect(!limiter.check(key: "k", policy: policy, cost: 8, nowMicroseconds: start + 999_000).allowed)
        #expect(limiter.check(key: "k", policy: policy, cost: 8, nowMicroseconds: start + 1_000_000).allowed)
    }

    @Test func keysAreIndependent() {
        var limiter = LocalRateLimiter()
        #expect(limiter.check(key: "a", policy: policy, cost: 5, nowMicroseconds: second).allowed)
        #expect(limiter.check(key: "b", policy: policy, cost: 5, nowMicroseconds: second).allowed)
        #expect(!limiter.check(key: "a", policy: policy, cost: 1, nowMicroseconds: second).allowed)
    }

    @Test func resetAndRetryAfterRoundUp() {
        let gcra = GCRA(policy: RateLimitPolicy(perSecond: 1, burst: 2))
        let full = gcra.evaluate(tat: nil, now: second, cost: 2)
        #expect(full.allowed && full.remaining == 0 && full.resetMicroseconds == 2 * second)
        let refused = gcra.evaluate(tat: full.newTAT, now: second + 1, cost: 1)
        #expect(!refused.allowed)
        #expect(refused.retryAfterMicroseconds == second - 1)
        let decision = RateLimitDecision(refused, gcra: gcra)
        #expect(decision.retryAfterSeconds == 1)
        #expect(decision.resetSeconds == 2)
    }

    @Test func prunesKeysWhoseBucketIsFullAgain() {
        var limiter = LocalRateLimiter(pruneThreshold: 3)
        for index in 0..<3 {
            _ = limiter.check(key: "old\(index)", policy: policy, cost: 1, nowMicroseconds: second)
        }
        _ = limiter.check(key: "new", policy: policy, cost: 1, nowMicroseconds: 100 * second)
        #expect(limiter.keyCount == 1)
    }

    @Test func headersCarryRetryAfterOnlyWhenRefused() {
        let allowed = RateLimitDecision(allowed: true, limit: 5, remaining: 4, resetSeconds: 1, retryAfterSeconds: nil)
        #expect(allowed.headers.map(\.0) == ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"])
        let refused = RateLimitDecision(allowed: false, limit: 5, remaining: 0, resetSeconds: 1, retryAfterSeconds: 2)
        #expect(refused.headers.map(\.0) == ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "Retry-After"])
        #expect(refused.headers.last?.1 == "2")
    }

    /// A summed decision shared out must equal deciding the same requests one after the other.
    @Test func partsOfASummedOutcomeMatchDecidingOneByOne() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let gcra = GCRA(policy: RateLimitPolicy(perSecond: Double(Int.random(in: 1...2000, using: &generator)),
                                                    burst: Int.random(in: 1...50, using: &generator)))
            let now = 1_000 * second
            // A stored TAT anywhere from long past (full bucket) to almost the whole tolerance ahead.
            let tat = now + Int64.random(in: -gcra.toleranceMicroseconds...gcra.toleranceMicroseconds, using: &generator)
            let costs = (0..<Int.random(in: 1...6, using: &generator)).map { _ in Int.random(in: 0...4, using: &generator) }
            let total = costs.reduce(0, +)
            // Above the burst a sum passes only on a full bucket, where its parts alone need not:
            // `RateLimiter` shares out only sums within the burst.
            guard total <= gcra.burst else { continue }
            let summed = gcra.evaluate(tat: tat, now: now, cost: total)
            guard summed.allowed else { continue }
            var storedTAT: Int64? = tat
            var eventsSoFar = 0
            for cost in costs {
                let alone = gcra.evaluate(tat: storedTAT, now: now, cost: cost)
                storedTAT = alone.newTAT ?? storedTAT
                eventsSoFar += cost
                #expect(gcra.outcome(partOf: summed, eventsAfter: total - eventsSoFar) == alone, "tat \(tat) costs \(costs)")
            }
        }
    }

    /// Near the limit the sum can be refused while a prefix of its requests would fit, which is why
    /// a refused group is decided again one by one rather than shared out.
    @Test func aRefusedSumSaysNothingAboutItsParts() {
        let gcra = GCRA(policy: policy)
        // One event just taken: four more fit, five (say 4 + 1) do not.
        let oneTaken = second + 100_000
        let summed = gcra.evaluate(tat: oneTaken, now: second, cost: 5)
        #expect(!summed.allowed && summed.newTAT == nil)
        #expect(gcra.evaluate(tat: oneTaken, now: second, cost: 4).allowed)
    }
}
