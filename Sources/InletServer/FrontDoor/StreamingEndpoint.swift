import NIOCore
import NIOHTTP1

/// The head of a request whose body an endpoint consumes as it arrives (CSV imports).
public struct InletRequestHead: Sendable {
    public var method: HTTPMethod
    public var uri: String
    public var headers: HTTPHeaders
    public var requestId: String
    public var remoteIP: String?

    public var path: Substring { RequestPath.path(of: uri) }

    /// The last non-empty segment of the path (`/v1/imports/users` → `users`).
    public var lastPathSegment: Substring { RequestPath.lastSegment(of: path) }
}

/// An endpoint that reads its body as a stream, with back-pressure: the socket is read only as
/// fast as the consumer's futures complete, so memory does not grow with the upload.
public protocol StreamingEndpoint: Sendable {
    /// Called when the head arrives; nothing is read until the future completes.
    func begin(_ head: InletRequestHead, on eventLoop: any EventLoop) -> EventLoopFuture<StreamingStart>
}

public enum StreamingStart: Sendable {
    /// Answer at once (bad credentials, a repeated idempotent upload); the body is dropped.
    case respond(InletResponse)
    case consume(any BodyConsumer)
}

public enum ConsumeResult: Sendable {
    /// Ready for the next bytes.
    case more
    /// Stop reading and answer now (e.g. a CSV header that can never import).
    case respond(InletResponse)
}

/// Consumes one request body. Every call happens on the request's event loop, one at a time:
/// `consume` is not called again until its previous future has completed.
public protocol BodyConsumer: AnyObject, Sendable {
    func consume(_ bytes: ByteBuffer) -> EventLoopFuture<ConsumeResult>
    /// The body is complete; the future's response is sent.
    func finish() -> EventLoopFuture<InletResponse>
    /// The client went away or the body broke mid-stream; no response can be sent.
    func abort(reason: String)
}
