/// Per-listener connection limits and timeouts, so slow or idle clients cannot hold resources.
public struct ConnectionLimits: Sendable, Hashable {
    /// A connection with no open stream and no traffic for this long is closed.
    public var idleTimeout: Duration = .seconds(60)
    /// A request's headers must be complete this long after its first byte (slowloris).
    public var headerTimeout: Duration = .seconds(10)
    /// A request body that makes no progress for this long is abandoned with `408`.
    public var bodyTimeout: Duration = .seconds(15)
    /// Accepted connections beyond this are closed at once rather than queued.
    public var maxConnections: Int = 10_000
    /// On SIGTERM, in-flight requests get this long to finish before connections are closed.
    public var drainDeadline: Duration = .seconds(20)

    public init() {}
}
