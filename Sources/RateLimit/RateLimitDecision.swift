/// The answer for one request, with what the HTTP layer needs to say it.
public struct RateLimitDecision: Sendable, Hashable {
    public var allowed: Bool
    /// The policy's burst: the most events a client may send at once.
    public var limit: Int
    public var remaining: Int
    /// Seconds until the client's allowance is full again.
    public var resetSeconds: Int
    /// Seconds to wait before retrying; set when refused.
    public var retryAfterSeconds: Int?
    /// Redis could not answer and the policy fails closed: the caller answers `503`.
    public var unavailable: Bool

    public init(
        allowed: Bool, limit: Int, remaining: Int, resetSeconds: Int, retryAfterSeconds: Int?,
        unavailable: Bool = false
    ) {
        self.allowed = allowed
        self.limit = limit
        self.remaining = remaining
        self.resetSeconds = resetSeconds
        self.retryAfterSeconds = retryAfterSeconds
        self.unavailable = unavailable
    }

    /// `RateLimit-Limit`, `-Remaining`, `-Reset`, plus `Retry-After` when refused (IETF
    /// draft-ietf-httpapi-ratelimit-headers and RFC 9110).
    public var headers: [(String, String)] {
        var headers: [(String, String)] = [
            ("RateLimit-Limit", String(limit)),
            ("RateLimit-Remaining", String(remaining)),
            ("RateLimit-Reset", String(resetSeconds)),
        ]
        if let retryAfterSeconds, !allowed {
            headers.append(("Retry-After", String(retryAfterSeconds)))
        }
        return headers
    }
}

extension RateLimitDecision {
    /// Converts the algorithm's microseconds into whole seconds, rounded up so clients never retry early.
    init(_ outcome: GCRA.Outcome, gcra: GCRA) {
        let retry = outcome.allowed ? nil : max(1, Self.secondsRoundedUp(outcome.retryAfterMicroseconds))
        self.init(
            allowed: outcome.allowed,
            limit: gcra.burst,
            remaining: outcome.remaining,
            resetSeconds: Self.secondsRoundedUp(outcome.resetMicroseconds),
            retryAfterSeconds: retry
        )
    }

    static func secondsRoundedUp(_ microseconds: Int64) -> Int {
        Int((max(0, microseconds) + 999_999) / 1_000_000)
    }

    static func unavailable(limit: Int) -> RateLimitDecision {
        RateLimitDecision(allowed: false, limit: limit, remaining: 0, resetSeconds: 0, retryAfterSeconds: 1, unavailable: true)
    }
}
