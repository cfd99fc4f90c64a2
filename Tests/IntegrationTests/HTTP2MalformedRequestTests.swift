import NIOCore
import Testing

/// A malformed header block over a real connection: the stream is reset with PROTOCOL_ERROR and
/// never answered, and the connection is closed.
@Suite("HTTP/2: malformed header blocks are reset, never served")
struct HTTP2MalformedRequestTests {
    @Test(arguments: [
        ("uppercase name", [("X-Upper", "1")]),
        ("connection-specific field", [("connection", "close")]),
        ("te other than trailers", [("te", "gzip")]),
        ("CR LF in a value", [("x-a", "1\r\nx-b: 2")]),
        (":status in a request", [(":status", "200")]),
    ] as [(String, [(String, String)])])
    func malformedRequest(_ rule: String, _ extra: [(String, String)]) async throws {
        let server = try await TestFrontDoor.start()
        defer { Task { await server.frontDoor.drain() } }
        let client = try await HTTP2RawClient.connect(port: server.port, group: server.group)
        try await client.write(H2.request(1, path: "/echo", extra: extra))
        let reset = await client.waitForFrame { $0.stream == 1 && $0.type == H2.T.rstStream }
        #expect(reset?.errorCode == H2.protocolError, "\(rule): \(client.frames)")
        let (_, closed) = await client.goAwayOrClose()
        #expect(closed, "\(rule)")
        #expect(!client.frames.contains { $0.stream == 1 && $0.headers != nil }, "\(rule): \(client.frames)")
    }

    @Test("malformed trailers reset the stream; the request is not served")
    func malformedTrailers() async throws {
        let server = try await TestFrontDoor.start()
        defer { Task { await server.frontDoor.drain() } }
        let client = try await HTTP2RawClient.connect(port: server.port, group: server.group)
        let trailers = H2.frame(type: H2.T.headers, flags: H2.endHeaders | H2.endStream, stream: 1,
                                payload: H2.literal("connection", "close"))
        try await client.write(H2.request(1, method: "POST", path: "/echo", endStream: false) + H2.data(1, Array("hi".utf8)) + trailers)
        let reset = await client.waitForFrame { $0.stream == 1 && $0.type == H2.T.rstStream }
        #expect(reset?.errorCode == H2.protocolError, "\(client.frames)")
        #expect(!client.frames.contains { $0.stream == 1 && $0.headers != nil }, "\(client.frames)")
        await client.close()
    }
}
