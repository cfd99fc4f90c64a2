/// HTTP/2 abuse limits advertised in SETTINGS and enforced per connection. The defaults follow
/// what nginx and NIOHTTP2 ship: enough for SDK batching, small enough that one client cannot
/// pin memory with open streams or huge header blocks.
public struct HTTP2Limits: Sendable, Hashable {
    /// `SETTINGS_MAX_CONCURRENT_STREAMS`.
    public var maxConcurrentStreams: Int = 100
    /// `SETTINGS_MAX_HEADER_LIST_SIZE`, also the HTTP/1.1 header limit.
    public var maxHeaderListSize: Int = 16 * 1024
    /// `SETTINGS_MAX_FRAME_SIZE`; the RFC 9113 minimum, which every peer must accept.
    public var maxFrameSize: Int = 16 * 1024
    /// `SETTINGS_INITIAL_WINDOW_SIZE`: how much body a stream may send before we read it.
    public var initialWindowSize: Int = 64 * 1024

    public init() {}
}
