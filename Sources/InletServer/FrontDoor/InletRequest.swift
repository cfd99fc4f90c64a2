import NIOCore
import NIOHTTP1

/// A request whose body has arrived in full (decompressed, within the route's limit).
public struct InletRequest: Sendable {
    public var method: HTTPMethod
    /// The path and query as sent, e.g. `/v1/hooks/acme-twilio?x=1`.
    public var uri: String
    public var headers: HTTPHeaders
    public var body: [UInt8]
    public var requestId: String
    /// The peer's IP address, used for `context.ip` when an event lacks it.
    public var remoteIP: String?
    /// The connection's memo of its last `Authorization` value (none in tests that make requests by hand).
    var recentCredential: RecentCredential? = nil

    public var path: Substring { RequestPath.path(of: uri) }

    public var query: Substring? { RequestPath.query(of: uri) }

    /// The last non-empty segment of the path: the id in `/v1/hooks/{sourceId}` and the like.
    public var lastPathSegment: Substring { RequestPath.lastSegment(of: path) }
}

/// A complete response. Bodies are small JSON documents, so they are built whole.
public struct InletResponse: Sendable {
    public var status: HTTPResponseStatus
    /// Sent after `content-type`, when there is one.
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// Kept apart from `headers`, so that a JSON answer's header list is the endpoint's own (the
    /// rate-limit fields) as it is, not a new array made to put `content-type` in front.
    public var contentType: String?

    public init(status: HTTPResponseStatus, headers: [(String, String)] = [], body: [UInt8] = [], contentType: String? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.contentType = contentType
    }

    /// A JSON response; `content-type` is set here, once.
    public static func json(_ status: HTTPResponseStatus, _ body: [UInt8], headers: [(String, String)] = []) -> InletResponse {
        InletResponse(status: status, headers: headers, body: body, contentType: "application/json")
    }

    /// `content-type` (if any), then `headers`: the fields a transport writes before its own.
    func forEachHeader(_ body: (String, String) -> Void) {
        if let contentType { body("content-type", contentType) }
        for (name, value) in headers { body(name, value) }
    }
}
