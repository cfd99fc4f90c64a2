import AsyncHTTPClient
import Foundation
import InletServer
import NIOCore
import Testing

/// inlet turns nghttp2's automatic window updates off, so it gives the client's
/// flow-control windows back itself: bodies many windows long must arrive whole, and a stream
/// whose consumer is busy must not be given more window until it catches up.
@Suite("HTTP/2 flow control")
struct HTTP2FlowControlTests {
    @Test("bodies many windows long arrive whole, on several streams at once")
    func largeBodies() async throws {
        let server = try await TestFrontDoor.start()
        defer { Task { await server.frontDoor.drain() } }
        try await withInsecureClient { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for size in [200_000, 300_001, 700_000] {
                    group.addTask {
                        var request = HTTPClientRequest(url: server.baseURL + "/echo-large")
                        request.method = .POST
                        request.body = .bytes(ByteBuffer(repeating: UInt8(ascii: "x"), count: size))
                        let response = try await client.execute(request, timeout: .seconds(20))
                        #expect(response.version == .http2)
                        #expect(String(buffer: try await response.body.collect(upTo: 1024)) == #"{"bytes":\#(size)}"#)
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    @Test("interleaved streams each get their own body and answer, whatever order their DATA and closes come in")
    func interleavedStreams() async throws {
        let server = try await TestFrontDoor.start()
        defer { Task { await server.frontDoor.drain() } }
        let client = try await HTTP2RawClient.connect(port: server.port, group: server.group)
        let opened: [UInt32] = [1, 3, 5, 7]
        var bytes: [UInt8] = []
        for stream in opened { bytes += H2.request(stream, method: "POST", path: "/echo", endStream: false) }
        // Each body its own length, sent in another order than the streams opened, so each stream's
        // DATA and close must find its own exchange.
        for stream in [5, 1, 7, 3] as [UInt32] {
            bytes += H2.data(stream, [UInt8](repeating: UInt8(ascii: "a"), count: Int(stream) * 10), endStream: true)
        }
        try await client.write(bytes)
        for stream in opened {
            let body = await client.waitForFrame { $0.stream == stream && $0.type == H2.T.data }
            #expect(body.map { String(decoding: $0.payload, as: UTF8.self) } == #"{"bytes":\#(stream * 10)}"#, "frames: \(client.frames)")
        }
        // All closed: a new stream on the same connection is served as well.
        try await client.write(H2.request(9, method: "POST", path: "/echo", endStream: false) + H2.data(9, Array("hi".utf8), endStream: true))
        let last = await client.waitForFrame { $0.stream == 9 && $0.type == H2.T.data }
        #expect(last.map { String(decoding: $0.payload, as: UTF8.self) } == #"{"bytes":2}"#, "frames: \(client.frames)")
        await client.close()
    }

    @Test("a stream whose consumer is busy gets no more window until it catches up; the connection does")
    func busyConsumerHoldsItsStreamWindow() async throws {
        let server = try await TestFrontDoor.start()
        defer { Task { await server.frontDoor.drain() } }
        let client = try await HTTP2RawClient.connect(port: server.port, group: server.group)
        let tag = TestServices.unique("gate")
        let chunk = [UInt8](repeating: UInt8(ascii: "y"), count: 16_000)
        // Four chunks: nearly the whole initial stream window (65,535 bytes).
        try await client.write(H2.request(1, method: "POST", path: "/gated?tag=\(tag)", endStream: false)
                               + H2.data(1, chunk) + H2.data(1, chunk) + H2.data(1, chunk) + H2.data(1, chunk))
        let connectionUpdate = await client.waitForFrame(limit: .seconds(5)) { $0.type == H2.T.windowUpdate && $0.stream == 0 }
        #expect(connectionUpdate != nil, "the connection's window is raised at once: \(client.frames)")
        try await Task.sleep(for: .milliseconds(300))
        #expect(!client.frames.contains { $0.type == H2.T.windowUpdate && $0.stream == 1 }, "frames: \(client.frames)")

        GatedStreamingEndpoint.open(tag)
        let streamUpdate = await client.waitForFrame(limit: .seconds(5)) { $0.type == H2.T.windowUpdate && $0.stream == 1 }
        #expect(streamUpdate != nil, "once the consumer caught up: \(client.frames)")
        try await client.write(H2.data(1, chunk, endStream: true))
        let answer = await client.waitForFrame { $0.stream == 1 && $0.headers != nil }
        #expect(answer?.status == "200", "frames: \(client.frames)")
        let body = await client.waitForFrame { $0.stream == 1 && $0.type == H2.T.data }
        #expect(body.map { String(decoding: $0.payload, as: UTF8.self) } == #"{"bytes":80000}"#)
        await client.close()
    }

    /// Regression: DATA for a stream the server has already reset is dropped by the HTTP/2 library
    /// but still uses the connection's window; counting only the DATA this handler saw let the
    /// window run dry (with swift-nio-http2; nghttp2 counts dropped DATA as consumed itself).
    @Test("DATA arriving after an early 413 reset still has its connection window given back")
    func droppedDataDoesNotLeakTheConnectionWindow() async throws {
        // The protocol's initial window, so that the 96,000 dropped bytes would exhaust it.
        let server = try await TestFrontDoor.start { $0.connectionWindowSize = 65_535 }
        defer { Task { await server.frontDoor.drain() } }
        let client = try await HTTP2RawClient.connect(port: server.port, group: server.group)
        let chunk = [UInt8](repeating: UInt8(ascii: "z"), count: 16_000)
        for stream: UInt32 in [1, 3, 5] {
            try await client.write(H2.request(stream, method: "POST", path: "/echo", endStream: false) + H2.data(stream, Array(chunk[..<1_500])))
            let reset = await client.waitForFrame { $0.type == H2.T.rstStream && $0.stream == stream }
            #expect(reset?.errorCode == H2.noError, "frames: \(client.frames)")
            // The client's body was still in flight: 32,000 bytes the server drops, 96,000 over the three streams.
            try await client.write(H2.data(stream, chunk) + H2.data(stream, chunk))
            try await Task.sleep(for: .milliseconds(50))
        }
        try await client.write(H2.request(7, method: "POST", path: "/echo-large", endStream: false)
                               + H2.data(7, chunk) + H2.data(7, chunk) + H2.data(7, chunk, endStream: true))
        let answer = await client.waitForFrame { $0.stream == 7 && $0.headers != nil }
        #expect(answer?.status == "200", "frames: \(client.frames)")
        #expect(!client.frames.contains { $0.isGoAway }, "frames: \(client.frames)")
        await client.close()
    }

    @Test("the connection's window is raised to the configured size once, with the client's first frames")
    func connectionWindowIsRaisedOnce() async throws {
        let server = try await TestFrontDoor.start()
        defer { Task { await server.frontDoor.drain() } }
        let client = try await HTTP2RawClient.connect(port: server.port, group: server.group)
        try await client.write(H2.request(1, path: "/ping"))
        _ = await client.waitForFrame { $0.stream == 1 && $0.headers != nil }
        let updates = client.frames.filter { $0.type == H2.T.windowUpdate && $0.stream == 0 }
        #expect(updates.map(Self.increment) == [FrontDoorConfiguration().connectionWindowSize - 65_535], "frames: \(client.frames)")
        await client.close()
    }

    /// A body whose declared length fits what is left of the stream's window needs no more: a
    /// WINDOW_UPDATE would only cost a frame and a write. Without a declared length it gets one.
    @Test("a declared body that fits the stream's window gets no stream WINDOW_UPDATE; an undeclared one does",
          arguments: [true, false])
    func declaredBodyWithinTheWindow(declared: Bool) async throws {
        let server = try await TestFrontDoor.start()
        defer { Task { await server.frontDoor.drain() } }
        let client = try await HTTP2RawClient.connect(port: server.port, group: server.group)
        let chunk = [UInt8](repeating: UInt8(ascii: "w"), count: 12_500)
        let extra = declared ? [("content-length", "50000")] : []
        try await client.write(H2.request(1, method: "POST", path: "/echo-large", extra: extra, endStream: false)
                               + H2.data(1, chunk) + H2.data(1, chunk) + H2.data(1, chunk) + H2.data(1, chunk, endStream: true))
        let answer = await client.waitForFrame { $0.stream == 1 && $0.headers != nil }
        #expect(answer?.status == "200", "frames: \(client.frames)")
        let body = await client.waitForFrame { $0.stream == 1 && $0.type == H2.T.data }
        #expect(body.map { String(decoding: $0.payload, as: UTF8.self) } == #"{"bytes":50000}"#)
        let streamUpdates = client.frames.filter { $0.type == H2.T.windowUpdate && $0.stream == 1 }
        #expect(streamUpdates.isEmpty == declared, "frames: \(client.frames)")
        await client.close()
    }

    /// Padding uses window but is not body: the body is counted without it, and as the declared
    /// length no longer tells what is left of the window, the stream's window is given back.
    @Test("padded DATA: the padding is not body, and a padded stream gets its window back")
    func paddedData() async throws {
        let server = try await TestFrontDoor.start()
        defer { Task { await server.frontDoor.drain() } }
        let client = try await HTTP2RawClient.connect(port: server.port, group: server.group)
        let chunk = [UInt8](repeating: UInt8(ascii: "p"), count: 12_500)
        let padding = 200
        func padded(_ endStream: Bool) -> [UInt8] {
            H2.frame(type: H2.T.data, flags: H2.padded | (endStream ? H2.endStream : 0), stream: 1,
                     payload: [UInt8(padding)] + chunk + [UInt8](repeating: 0, count: padding))
        }
        try await client.write(H2.request(1, method: "POST", path: "/echo-large", extra: [("content-length", "50000")], endStream: false)
                               + padded(false) + padded(false) + padded(false) + padded(true))
        let body = await client.waitForFrame { $0.stream == 1 && $0.type == H2.T.data }
        #expect(body.map { String(decoding: $0.payload, as: UTF8.self) } == #"{"bytes":50000}"#, "frames: \(client.frames)")
        #expect(client.frames.contains { $0.type == H2.T.windowUpdate && $0.stream == 1 }, "frames: \(client.frames)")
        await client.close()
    }

    /// A WINDOW_UPDATE's increment: 31 bits, big-endian.
    static func increment(_ frame: HTTP2RawClient.Frame) -> Int {
        frame.payload.prefix(4).reduce(0) { $0 << 8 | Int($1) } & 0x7FFF_FFFF
    }
}
