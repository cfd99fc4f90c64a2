import NIOCore

/// Everything the public listener needs to know, with the safe defaults of the foundation issue.
public struct FrontDoorConfiguration: Sendable {
    public var host: String = "0.0.0.0"
    public var port: Int = 8443
    /// HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS.
    public var maxConcurrentStreams: Int = 100
    /// HTTP/2 SETTINGS_MAX_HEADER_LIST_SIZE (bytes).
    public var maxHeaderListSize: Int = 16 * 1024
    /// Connections without a request (HTTP/1.1) or without an open stream (HTTP/2) close after this.
    public var idleTimeout: TimeAmount = .seconds(60)
    /// A request head must be complete this long after its first byte.
    public var headerTimeout: TimeAmount = .seconds(10)
    /// A request body that makes no progress for this long gets `408`.
    public var bodyTimeout: TimeAmount = .seconds(15)
    /// A TLS handshake must complete within this.
    public var handshakeTimeout: TimeAmount = .seconds(10)
    /// Connections beyond this are closed as soon as they are accepted.
    public var maxConnections: Int = 10_000
    /// In-flight requests get this long to finish when the server drains.
    public var drainDeadline: TimeAmount = .seconds(20)
    /// Rapid-reset defence: RST_STREAM frames allowed per window before the connection is closed.
    public var maxResetStreams: Int = 200
    /// PING/SETTINGS/PRIORITY frames allowed per window before the connection is closed.
    public var maxControlFrames: Int = 200
    /// The window both rate limits above are counted over.
    public var abuseWindow: TimeAmount = .seconds(30)
    /// CONTINUATION frames allowed after one HEADERS frame.
    public var maxContinuationFrames: Int = 5
    /// The HTTP/2 connection's receive window. Each stream's own window (64 KiB) already bounds what a
    /// client can make us buffer, so the connection's needs no tighter bound; a small one costs a
    /// WINDOW_UPDATE, and a socket write, for every half of it received. nginx uses 2^31 − 1.
    public var connectionWindowSize: Int = 8 << 20

    public init() {}
}
