import NIOCore
import NIOEmbedded
import NIOHPACK
import NIOHTTP2
import Testing

@testable import InletServer

/// inlet checks request and trailer blocks itself (NIOHTTP2's validation is off, see FrontDoor).
/// Every rule is tried on its own, and each block is also fed to a `NIOHTTP2Handler` with its own
/// validation on: both must refuse exactly the same blocks.
@Suite("HTTP/2 header blocks: RFC 9113 §8.2/§8.3, same verdicts as NIOHTTP2's validation")
struct HTTP2HeaderValidatorTests {
    typealias Fields = [(String, String)]

    static let base: Fields = [(":method", "POST"), (":scheme", "https"), (":path", "/v1/track"), (":authority", "localhost")]

    /// Requests that must be refused, with the rule each one breaks.
    static let malformedRequests: [(String, Fields)] = [
        ("uppercase field name", base + [("Content-Type", "application/json")]),
        ("empty field name", base + [("", "x")]),
        ("space in field name", base + [("x y", "1")]),
        ("colon inside field name", base + [("x:y", "1")]),
        ("non-ASCII field name", base + [("x-é", "1")]),
        ("CR in value", base + [("x-a", "1\r2")]),
        ("LF in value", base + [("x-a", "1\n2")]),
        ("NUL in value", base + [("x-a", "1\u{0}2")]),
        ("space in :path", [(":method", "GET"), (":scheme", "https"), (":path", "/a b")]),
        ("tab in :method", [(":method", "G\tET"), (":scheme", "https"), (":path", "/")]),
        ("DEL in :authority", base.dropLast() + [(":authority", "local\u{7F}host")]),
        ("CR in :path", [(":method", "GET"), (":scheme", "https"), (":path", "/a\r\nx: y")]),
        ("pseudo-header after a regular field", [(":method", "GET"), (":scheme", "https"), ("x-a", "1"), (":path", "/")]),
        ("unknown pseudo-header", base + [(":foo", "bar")]),
        ("uppercase pseudo-header", [(":Method", "GET"), (":scheme", "https"), (":path", "/")]),
        ("bare colon", base + [(":", "x")]),
        ("repeated :path", base + [(":path", "/other")]),
        ("repeated :method", [(":method", "GET"), (":method", "POST"), (":scheme", "https"), (":path", "/")]),
        ("missing :method", [(":scheme", "https"), (":path", "/")]),
        ("missing :scheme", [(":method", "GET"), (":path", "/")]),
        ("missing :path", [(":method", "GET"), (":scheme", "https")]),
        ("no pseudo-headers at all", [("x-a", "1")]),
        (":status in a request", base + [(":status", "200")]),
        (":protocol without extended CONNECT", base + [(":protocol", "websocket")]),
        ("empty :path", [(":method", "GET"), (":scheme", "https"), (":path", "")]),
        ("connection", base + [("connection", "close")]),
        ("proxy-connection", base + [("proxy-connection", "keep-alive")]),
        ("keep-alive", base + [("keep-alive", "timeout=5")]),
        ("transfer-encoding", base + [("transfer-encoding", "chunked")]),
        ("upgrade", base + [("upgrade", "h2c")]),
        ("te other than trailers", base + [("te", "gzip")]),
        ("te listing trailers and more", base + [("te", "trailers, deflate")]),
        ("CONNECT with :scheme and :path", [(":method", "CONNECT"), (":scheme", "https"), (":path", "/"), (":authority", "a:443")]),
        ("CONNECT without :authority", [(":method", "CONNECT")]),
    ]

    /// Requests that must pass, some close to a rule's edge.
    static let wellFormedRequests: [(String, Fields)] = [
        ("an ordinary POST", base + [("content-type", "application/json"), ("content-length", "0")]),
        ("no :authority", Array(base.dropLast())),
        ("te: trailers", base + [("te", "trailers")]),
        ("every tchar in a name", base + [("!#$%&'*+-.^_`|~09az", "1")]),
        ("space, tab and UTF-8 inside a value", base + [("user-agent", "a b\tc é")]),
        ("empty value", base + [("x-empty", "")]),
        ("UTF-8 in :path", [(":method", "GET"), (":scheme", "https"), (":path", "/é")]),
        ("CONNECT with :authority only", [(":method", "CONNECT"), (":authority", "example.com:443")]),
        ("names that only start like forbidden ones", base + [("connections", "1"), ("upgraded", "1"), ("tee", "x")]),
    ]

    static let malformedTrailers: [(String, Fields)] = [
        ("pseudo-header in trailers", [(":path", "/")]),
        ("unknown pseudo-header in trailers", [(":foo", "1")]),
        ("uppercase name in trailers", [("X-Checksum", "1")]),
        ("CR in a trailer value", [("x-checksum", "1\r")]),
        ("connection in trailers", [("connection", "close")]),
        ("transfer-encoding in trailers", [("transfer-encoding", "chunked")]),
    ]

    static let wellFormedTrailers: [(String, Fields)] = [
        ("a checksum", [("x-checksum", "abc")]),
        // NIOHTTP2 polices `te` in requests only.
        ("te in trailers", [("te", "gzip")]),
        ("no fields", []),
    ]

    @Test(arguments: malformedRequests.map { ($0, $1, true) } + wellFormedRequests.map { ($0, $1, false) })
    func request(_ rule: String, _ fields: Fields, _ malformed: Bool) throws {
        let refused = (try? HTTP2HeaderValidator.validateRequest(HPACKHeaders(fields))) == nil
        #expect(refused == malformed, "\(rule)")
        #expect(try NIOHTTP2Verdict.refusesRequest(fields) == malformed, "NIOHTTP2 disagrees: \(rule)")
    }

    @Test(arguments: malformedTrailers.map { ($0, $1, true) } + wellFormedTrailers.map { ($0, $1, false) })
    func trailers(_ rule: String, _ fields: Fields, _ malformed: Bool) throws {
        let refused = (try? HTTP2HeaderValidator.validateTrailers(HPACKHeaders(fields))) == nil
        #expect(refused == malformed, "\(rule)")
        #expect(try NIOHTTP2Verdict.refusesTrailers(fields) == malformed, "NIOHTTP2 disagrees: \(rule)")
    }

    @Test("response fields HTTP/2 cannot carry are recognised")
    func responseFields() {
        #expect(HTTP2HeaderValidator.isValidResponseField(name: "ratelimit-remaining", value: "41"))
        #expect(!HTTP2HeaderValidator.isValidResponseField(name: "x-a", value: "1\r\nset-cookie: a=b"))
        #expect(!HTTP2HeaderValidator.isValidResponseField(name: "Content-Type", value: "text/plain"))
        #expect(!HTTP2HeaderValidator.isValidResponseField(name: "connection", value: "close"))
        #expect(!HTTP2HeaderValidator.isValidResponseField(name: ":status", value: "200"))
    }
}

/// What NIOHTTP2 1.46 with its header validation on does with a block: a server-side
/// `NIOHTTP2Handler` on an `EmbeddedChannel` gets the client preface and the block, and
/// refuses it by resetting the stream (the error reaches the pipeline's end, where
/// `writeInbound` throws it).
enum NIOHTTP2Verdict {
    static func refusesRequest(_ fields: [(String, String)]) throws -> Bool {
        try refuses(H2.frame(type: H2.T.headers, flags: H2.endHeaders | H2.endStream, stream: 1, payload: block(fields)))
    }

    static func refusesTrailers(_ fields: [(String, String)]) throws -> Bool {
        let request = H2.frame(type: H2.T.headers, flags: H2.endHeaders, stream: 1, payload: block(HTTP2HeaderValidatorTests.base))
        // Trailers must end the stream (RFC 9113 §8.1).
        let trailers = H2.frame(type: H2.T.headers, flags: H2.endHeaders | H2.endStream, stream: 1, payload: block(fields))
        return try refuses(request + trailers)
    }

    private static func block(_ fields: [(String, String)]) -> [UInt8] {
        fields.flatMap { H2.literal($0.0, $0.1) }
    }

    private static func refuses(_ frames: [UInt8]) throws -> Bool {
        let channel = EmbeddedChannel()
        defer { _ = try? channel.finish() }
        try channel.pipeline.syncOperations.addHandler(NIOHTTP2Handler(mode: .server))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        var bytes = channel.allocator.buffer(capacity: 256)
        bytes.writeBytes(H2.preface + H2.settings([]) + frames)
        do {
            try channel.writeInbound(bytes)
            return false
        } catch {
            return true
        }
    }
}
