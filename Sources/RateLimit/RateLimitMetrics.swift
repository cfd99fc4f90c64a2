import Metrics

/// The rate limiter's metrics, created once so a decision only increments.
struct RateLimitMetrics: Sendable {
    let allowed = Self.decisions("allowed")
    let limited = Self.decisions("limited")
    let fallbackAllowed = Self.decisions("fallback_allowed")
    let fallbackLimited = Self.decisions("fallback_limited")
    let unavailable = Self.decisions("unavailable")
    /// 1 while decisions come from the in-process fallback or are refused as unavailable.
    let fallbackActive = Gauge(label: "inlet_ratelimit_fallback_active")

    private static func decisions(_ outcome: String) -> Counter {
        Counter(label: "inlet_ratelimit_decisions_total", dimensions: [("outcome", outcome)])
    }
}
