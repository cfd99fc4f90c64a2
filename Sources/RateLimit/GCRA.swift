import InletModel

/// The Generic Cell Rate Algorithm for one policy, as pure arithmetic on microseconds.
///
/// A key's whole state is one number, its theoretical arrival time (TAT): when the bucket would
/// be empty again. A request of `cost` events pushes the TAT by `cost × interval` and is allowed if
/// the TAT stays within `tolerance = burst × interval` of now. The Lua script in `RateLimiter`
/// does the same arithmetic in Redis; this type is the in-process fallback and its reference.
///
/// A request of more events than the burst (a batch may hold 2,500, a source's burst may be
/// 1,000) could never fit that tolerance, and an SDK would retry its `429` for ever. It is allowed
/// once the bucket is full, and the TAT still moves by its whole cost, so the requests after it
/// wait until it is paid for: the long-run rate holds, and a retry can always succeed.
public struct GCRA: Sendable, Hashable {
    public struct Outcome: Sendable, Hashable {
        public var allowed: Bool
        /// Events that could still be sent right now.
        public var remaining: Int
        /// Microseconds until the bucket is full again.
        public var resetMicroseconds: Int64
        /// Microseconds until this request would be allowed; 0 when allowed.
        public var retryAfterMicroseconds: Int64
        /// The TAT to store; `nil` when refused (nothing changes).
        public var newTAT: Int64?
    }

    public let emissionIntervalMicroseconds: Int64
    public let toleranceMicroseconds: Int64
    public let burst: Int

    public init(policy: RateLimitPolicy) {
        // A non-positive rate never refills: one interval far beyond any TTL stands for "never".
        let interval = policy.perSecond > 0 ? max(1, Int64((1_000_000 / policy.perSecond).rounded())) : 1_000_000_000_000
        self.emissionIntervalMicroseconds = interval
        self.burst = max(0, policy.burst)
        self.toleranceMicroseconds = interval * Int64(self.burst)
    }

    /// Decides a request of `cost` events at `now`, given the key's stored TAT (`nil` if none).
    public func evaluate(tat storedTAT: Int64?, now: Int64, cost: Int) -> Outcome {
        let cost = Int64(max(0, cost))
        let tat = max(storedTAT ?? now, now)
        let newTAT = tat + cost * emissionIntervalMicroseconds
        let ahead = newTAT - now
        // Above the burst, the tolerance is the request's own cost: allowed only on a full bucket.
        let limit = max(toleranceMicroseconds, cost * emissionIntervalMicroseconds)
        if ahead > limit {
            return Outcome(
                allowed: false,
                remaining: Int(max(0, (toleranceMicroseconds - (tat - now)) / emissionIntervalMicroseconds)),
                resetMicroseconds: tat - now,
                retryAfterMicroseconds: ahead - limit,
                newTAT: nil
            )
        }
        return Outcome(
            allowed: true,
            remaining: Int(max(0, (toleranceMicroseconds - ahead) / emissionIntervalMicroseconds)),
            resetMicroseconds: ahead,
            retryAfterMicroseconds: 0,
            newTAT: newTAT
        )
    }

    /// One request's part of an allowed outcome for several requests decided together as one of
    /// their summed cost: what it would have got, decided on its own right after the ones before it
    /// at the same instant. `eventsAfter` is the summed cost of the requests after it. Each request
    /// pushes the TAT by its cost, so this one's TAT stands `eventsAfter` intervals before the
    /// group's: that many more events remain, and the bucket is full again that much sooner.
    /// Only for a summed cost within the burst: above it the sum passes on a full bucket only,
    /// where its parts alone would not all have.
    public func outcome(partOf summed: Outcome, eventsAfter: Int) -> Outcome {
        precondition(summed.allowed, "only an allowed outcome is shared out; a refused one changed nothing")
        let later = Int64(max(0, eventsAfter)) * emissionIntervalMicroseconds
        return Outcome(
            allowed: true,
            remaining: summed.remaining + max(0, eventsAfter),
            resetMicroseconds: summed.resetMicroseconds - later,
            retryAfterMicroseconds: 0,
            newTAT: summed.newTAT.map { $0 - later }
        )
    }
}
