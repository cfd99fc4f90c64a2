import NIOCore
import NIOHTTP1

/// What a `RequestExchange` needs from the connection it came in on: an HTTP/1.1 connection
/// (one exchange at a time) or one stream of an HTTP/2 connection. Everything is called on the
/// connection's event loop.
protocol ExchangeTransport: AnyObject {
    var eventLoop: any EventLoop { get }
    var allocator: ByteBufferAllocator { get }
    /// The peer's address, for `context.ip`.
    var remoteIP: String? { get }
    /// The connection's memo of its last credential (see `RecentCredential`).
    var recentCredential: RecentCredential? { get }
    /// Writes and flushes a complete response. `early`: the request body has not all arrived,
    /// so HTTP/1.1 closes the connection after it and HTTP/2 resets the stream with `NO_ERROR`.
    /// `close`: HTTP/1.1 closes the connection after it (the client asked, or an early answer).
    func writeResponse(_ response: InletResponse, requestId: String, early: Bool, close: Bool)
    /// A streaming consumer has caught up: deliver the request's next bytes.
    func resumeReading()
    /// Calls `exchange.readEnded()` once the current read cycle ends (`channelReadComplete`).
    func callAtReadEnd(_ exchange: RequestExchange)
}

/// The headers every response carries besides its own: the length (never on `1xx`/`204`, RFC 9110
/// §8.6) and the request id.
enum ResponseHeaders {
    static func needsContentLength(_ status: HTTPResponseStatus) -> Bool {
        status.code >= 200 && status != .noContent
    }
}
