/// A source's rate limit as its route file states it: `perSecond` events on average, `burst`
/// at once, and what to do while Redis cannot answer.
public struct RateLimitPolicy: Sendable, Hashable {
    public enum WhenRedisDown: String, Sendable, Hashable {
        /// Keep serving, limited by an in-process limiter per instance.
        case open
        /// Refuse with `503` until Redis answers again.
        case closed
    }

    public var perSecond: Double
    public var burst: Int
    public var onRedisDown: WhenRedisDown

    public init(perSecond: Double, burst: Int, onRedisDown: WhenRedisDown = .open) {
        self.perSecond = perSecond
        self.burst = burst
        self.onRedisDown = onRedisDown
    }
}
