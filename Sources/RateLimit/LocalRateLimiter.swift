import InletModel

/// The in-process limiter used while Redis is sick: the same GCRA, each instance on its own.
/// A pure value: the caller passes the clock and keeps it under a lock.
public struct LocalRateLimiter: Sendable {
    private var tats: [String: Int64] = [:]
    /// Above this many keys, keys whose bucket is full again (TAT in the past) are dropped.
    public let pruneThreshold: Int

    public init(pruneThreshold: Int = 10_000) {
        self.pruneThreshold = pruneThreshold
    }

    public var keyCount: Int { tats.count }

    public mutating func check(key: String, policy: RateLimitPolicy, cost: Int, nowMicroseconds now: Int64) -> RateLimitDecision {
        let gcra = GCRA(policy: policy)
        let outcome = gcra.evaluate(tat: tats[key], now: now, cost: cost)
        if let newTAT = outcome.newTAT {
            if tats.count >= pruneThreshold, tats[key] == nil {
                tats = tats.filter { $0.value > now }
            }
            tats[key] = newTAT
        }
        return RateLimitDecision(outcome, gcra: gcra)
    }
}
