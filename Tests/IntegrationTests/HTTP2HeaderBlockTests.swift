import NIOCore
import Testing

@testable import InletServer

/// Header blocks a client sends, checked by nghttp2 (RFC 9113 §8.2, §8.3) over a real connection:
/// every rule is tried on its own, a malformed block gets RST_STREAM or GOAWAY `PROTOCOL_ERROR` and
/// no answer, a well-formed one (some close to a rule's edge) gets an answer. The tables are the
/// ones inlet's own validator passed against NIOHTTP2's before nghttp2 took the job over; every
/// request carries `:authority` but where its absence is the point, as nghttp2 requires it.
@Suite("HTTP/2 header blocks: RFC 9113 §8.2/§8.3, refused or served over the wire")
struct HTTP2HeaderBlockTests {
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
        ("space in :path", [(":method", "GET"), (":scheme", "https"), (":path", "/a b"), (":authority", "localhost")]),
        ("tab in :method", [(":method", "G\tET"), (":scheme", "https"), (":path", "/"), (":authority", "localhost")]),
        ("DEL in :authority", base.dropLast() + [(":authority", "local\u{7F}host")]),
        ("CR in :path", [(":method", "GET"), (":scheme", "https"), (":path", "/a\r\nx: y"), (":authority", "localhost")]),
        ("pseudo-header after a regular field", [(":method", "GET"), (":scheme", "https"), ("x-a", "1"), (":path", "/"), (":authority", "localhost")]),
        ("unknown pseudo-header", base + [(":foo", "bar")]),
        ("uppercase pseudo-header", [(":Method", "GET"), (":scheme", "https"), (":path", "/"), (":authority", "localhost")]),
        ("bare colon", base + [(":", "x")]),
        ("repeated :path", base + [(":path", "/other")]),
        ("repeated :method", [(":method", "GET"), (":method", "POST"), (":scheme", "https"), (":path", "/"), (":authority", "localhost")]),
        ("missing :method", [(":scheme", "https"), (":path", "/")]),
        ("missing :scheme", [(":method", "GET"), (":path", "/")]),
        ("missing :path", [(":method", "GET"), (":scheme", "https")]),
        ("no pseudo-headers at all", [("x-a", "1")]),
        (":status in a request", base + [(":status", "200")]),
        (":protocol without extended CONNECT", base + [(":protocol", "websocket")]),
        ("empty :path", [(":method", "GET"), (":scheme", "https"), (":path", ""), (":authority", "localhost")]),
        ("connection", base + [("connection", "close")]),
        ("proxy-connection", base + [("proxy-connection", "keep-alive")]),
        ("keep-alive", base + [("keep-alive", "timeout=5")]),
        ("transfer-encoding", base + [("transfer-encoding", "chunked")]),
        ("upgrade", base + [("upgrade", "h2c")]),
        ("te other than trailers", base + [("te", "gzip")]),
        ("te listing trailers and more", base + [("te", "trailers, deflate")]),
        ("CONNECT with :scheme and :path", [(":method", "CONNECT"), (":scheme", "https"), (":path", "/"), (":authority", "a:443")]),
        ("CONNECT without :authority", [(":method", "CONNECT")]),
        // Stricter than NIOHTTP2 was; every HTTP/2 client library sends :authority.
        ("neither :authority nor host", Array(base.dropLast())),
    ]

    /// Requests that must pass, some close to a rule's edge.
    static let wellFormedRequests: [(String, Fields)] = [
        ("an ordinary POST", base + [("content-type", "application/json"), ("content-length", "0")]),
        ("te: trailers", base + [("te", "trailers")]),
        ("every tchar in a name", base + [("!#$%&'*+-.^_`|~09az", "1")]),
        ("space, tab and UTF-8 inside a value", base + [("user-agent", "a b\tc é")]),
        ("empty value", base + [("x-empty", "")]),
        ("UTF-8 in :path", [(":method", "GET"), (":scheme", "https"), (":path", "/é"), (":authority", "localhost")]),
        ("host instead of :authority", Array(base.dropLast()) + [("host", "localhost")]),
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
        // Stricter than NIOHTTP2, which policed `te` in requests only.
        ("te other than trailers, in trailers", [("te", "gzip")]),
    ]

    static let wellFormedTrailers: [(String, Fields)] = [
        ("a checksum", [("x-checksum", "abc")]),
        ("no fields", []),
    ]

    /// One server for all the cases, each on a connection of its own (a malformed block ends its
    /// connection): a server per case made dozens of TLS servers start at once on the shared loops.
    @Test("request blocks: each malformed one refused, each well-formed one answered")
    func requests() async throws {
        let server = try await TestFrontDoor.start()
        defer { Task { await server.frontDoor.drain() } }
        for (rule, fields, malformed) in Self.malformedRequests.map({ ($0, $1, true) }) + Self.wellFormedRequests.map({ ($0, $1, false) }) {
            let block = fields.flatMap { H2.literal($0, $1) }
            let request = H2.frame(type: H2.T.headers, flags: H2.endHeaders | H2.endStream, stream: 1, payload: block)
            try await expectVerdict(malformed: malformed, rule: rule, sending: request, to: server)
        }
    }

    @Test("trailers: each malformed block refused, each well-formed one answered")
    func trailers() async throws {
        let server = try await TestFrontDoor.start()
        defer { Task { await server.frontDoor.drain() } }
        for (rule, fields, malformed) in Self.malformedTrailers.map({ ($0, $1, true) }) + Self.wellFormedTrailers.map({ ($0, $1, false) }) {
            let trailers = H2.frame(type: H2.T.headers, flags: H2.endHeaders | H2.endStream, stream: 1,
                                    payload: fields.flatMap { H2.literal($0, $1) })
            let request = H2.request(1, method: "POST", path: "/echo", endStream: false) + H2.data(1, Array("hi".utf8)) + trailers
            try await expectVerdict(malformed: malformed, rule: rule, sending: request, to: server)
        }
    }

    /// Malformed: reset with PROTOCOL_ERROR (or the connection ended so), never answered.
    /// Well-formed: answered (`404` for the paths no route takes, `200` from `/echo`).
    private func expectVerdict(malformed: Bool, rule: String, sending bytes: [UInt8], to server: TestFrontDoor) async throws {
        let client = try await HTTP2RawClient.connect(port: server.port, group: server.group)
        try await client.write(bytes)
        let verdict = await client.waitForFrame { $0.isGoAway || ($0.stream == 1 && ($0.type == H2.T.rstStream || $0.headers != nil)) }
        let answered = client.frames.contains { $0.stream == 1 && $0.headers != nil }
        if malformed {
            #expect(verdict?.errorCode == H2.protocolError, "\(rule): \(client.frames)")
            #expect(!answered, "\(rule): \(client.frames)")
        } else {
            #expect(answered, "\(rule): \(client.frames)")
        }
        await client.close()
    }
}

@Suite("HTTP/2 response fields")
struct HTTP2ResponseFieldCheckTests {
    @Test("response fields HTTP/2 cannot carry are recognised")
    func responseFields() {
        #expect(HTTP2ResponseFieldCheck.isValid(name: "ratelimit-remaining", value: "41"))
        #expect(!HTTP2ResponseFieldCheck.isValid(name: "x-a", value: "1\r\nset-cookie: a=b"))
        #expect(!HTTP2ResponseFieldCheck.isValid(name: "Content-Type", value: "text/plain"))
        #expect(!HTTP2ResponseFieldCheck.isValid(name: "connection", value: "close"))
        #expect(!HTTP2ResponseFieldCheck.isValid(name: ":status", value: "200"))
    }
}
