extension TriggerForwarder {
    /// The wait before retry number `attempt` (1 after the first failure): exponential growth from
    /// `base`, capped at `cap`, with equal jitter — somewhere in the upper half of the ceiling,
    /// and never below `base` (CONTRACT.md: "1 s up to 5 min"), so the first retry waits `base`.
    /// Jitter spreads the retries of many triggers that failed together (an engine outage) so they
    /// do not come back as one burst; keeping the lower half out keeps the growth monotone.
    ///
    /// Pure: `random` is the caller's draw from `0...1` (clamped), so tests can pin the bounds.
    public static func backoff(attempt: Int, base: Duration, cap: Duration, random: Double) -> Duration {
        let baseSeconds = base.seconds
        let capSeconds = cap.seconds
        guard baseSeconds > 0, capSeconds > 0 else { return .zero }
        let exponent = min(max(attempt, 1) - 1, 62)
        let ceiling = min(capSeconds, baseSeconds * Double(sign: .plus, exponent: exponent, significand: 1))
        let jitter = random.isNaN ? 0 : min(max(random, 0), 1)
        return .seconds(max(min(baseSeconds, capSeconds), ceiling / 2 + ceiling / 2 * jitter))
    }
}

extension Duration {
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
