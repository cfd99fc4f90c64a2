import NIOCore

/// Something that answers a fully received request, on the event loop it is given. Endpoints
/// answer errors as responses, never by failing with a client's mistake; a `.failure` is an
/// internal error and becomes a plain `500` without details.
///
/// A callback rather than a future: every request goes through here, and a future (with its
/// callback list and generic metadata) per request showed in profiles.
public protocol Endpoint: Sendable {
    /// Calls `answer` exactly once, on `eventLoop`; possibly before returning (an answer known at once).
    func respond(to request: InletRequest, on eventLoop: any EventLoop, answer: @escaping EndpointAnswer)
}

/// How an endpoint hands back its response, or the internal error that becomes a `500`.
public typealias EndpointAnswer = @Sendable (Result<InletResponse, any Error>) -> Void

/// What the router found for a request: who answers it and how much body it may send.
public struct RouteTarget: Sendable {
    /// A short, fixed label for metrics and logs (`track`, `hooks`, ...), never the raw path.
    public var label: String
    public var endpoint: any Endpoint
    /// When set, the body is streamed to this endpoint instead of being buffered for `endpoint`.
    public var streaming: (any StreamingEndpoint)?
    /// The largest body accepted, counted after decompression; larger gets `413` while it streams in.
    public var maxBodyBytes: Int
    /// Whether `Content-Encoding: gzip` is accepted.
    public var acceptsGzip: Bool

    public init(label: String, endpoint: any Endpoint, maxBodyBytes: Int, acceptsGzip: Bool) {
        self.label = label
        self.endpoint = endpoint
        self.maxBodyBytes = maxBodyBytes
        self.acceptsGzip = acceptsGzip
    }

    /// A target whose body streams to `streaming`, without a size limit.
    public init(label: String, streaming: any StreamingEndpoint, acceptsGzip: Bool) {
        self.label = label
        self.endpoint = UnreachableEndpoint()
        self.streaming = streaming
        self.maxBodyBytes = .max
        self.acceptsGzip = acceptsGzip
    }
}

/// Maps a method and path to its target. One router serves HTTP/1.1 and HTTP/2 alike.
public protocol Router: Sendable {
    /// `nil` when nothing is at that path; the handler answers `404`.
    func route(method: String, path: Substring) -> RouteTarget?
}

/// Stands in for `RouteTarget.endpoint` on streaming targets, whose requests never reach it.
struct UnreachableEndpoint: Endpoint {
    func respond(to request: InletRequest, on eventLoop: any EventLoop, answer: @escaping EndpointAnswer) {
        answer(.success(.error(.notFound())))
    }
}
