import AsyncHTTPClient
import Foundation
import InletServer
import NIOCore
import Testing

/// HTTP/2 abuse against the front door with small limits, so each case trips in milliseconds:
/// what the server sends back (frame types, error codes) or that it closes, and that a legitimate
/// client on another connection is still served. `scripts/chaos h2-abuse` runs the same attacks at
/// full size against the release binary.
@Suite("HTTP/2 abuse: floods, oversized headers, stream limits, slow clients")
struct HTTP2AbuseTests {
    @Test("rapid reset: HEADERS + RST_STREAM past the limit gets GOAWAY ENHANCE_YOUR_CALM and a close")
    func rapidReset() async throws {
        let server = try await TestFrontDoor.start { $0.maxResetStreams = 10 }
        defer { Task { await server.frontDoor.drain() } }
        let abuser = try await HTTP2RawClient.connect(port: server.port, group: server.group)
        let frames = (0..<50).flatMap { i -> [[UInt8]] in
            let stream = UInt32(2 * i + 1)
            return [H2.request(stream, path: "/slow?ms=2000"), H2.rstStream(stream)]
        }
        await abuser.flood(frames, perWrite: 2)
        let (goAway, closed) = await abuser.goAwayOrClose()
        #expect(goAway?.errorCode == H2.enhanceYourCalm, "frames: \(abuser.frames)")
        #expect(closed)
        try await expectLegitimateClientServed(server)
    }

    @Test("PING flood past the control-frame limit gets GOAWAY ENHANCE_YOUR_CALM and a close")
    func pingFlood() async throws {
        let server = try await TestFrontDoor.start { $0.maxControlFrames = 10 }
        defer { Task { await server.frontDoor.drain() } }
        let abuser = try await HTTP2RawClient.connect(port: server.port, group: server.group)
        await abuser.flood((0..<100).map { H2.ping(UInt64($0)) })
        let (goAway, closed) = await abuser.goAwayOrClose()
        #expect(goAway?.errorCode == H2.enhanceYourCalm, "frames: \(abuser.frames)")
        #expect(closed)
        try await expectLegitimateClientServed(server)
    }

    @Test("SETTINGS flood past the control-frame limit gets GOAWAY ENHANCE_YOUR_CALM and a close")
    func settingsFlood() async throws {
        let server = try await TestFrontDoor.start { $0.maxControlFrames = 10 }
        defer { Task { await server.frontDoor.drain() } }
        let abuser = try await HTTP2RawClient.connect(port: server.port, group: server.group)
        await abuser.flood((0..<100).map { _ in H2.settings([(0x3, 100)]) })
        let (goAway, closed) = await abuser.goAwayOrClose()
        #expect(goAway?.errorCode == H2.enhanceYourCalm, "frames: \(abuser.frames)")
        #expect(closed)
        try await expectLegitimateClientServed(server)
    }

    @Test("CONTINUATION flood: HEADERS without END_HEADERS and endless CONTINUATION is a connection error")
    func continuationFlood() async throws {
        let server = try await TestFrontDoor.start { $0.maxContinuationFrames = 5 }
        defer { Task { await server.frontDoor.drain() } }
        let abuser = try await HTTP2RawClient.connect(port: server.port, group: server.group)
        var frames = [H2.request(1, path: "/slow?ms=1", endHeaders: false)]
        frames += (0..<200).map { i in H2.frame(type: H2.T.continuation, stream: 1, payload: H2.literal("x-c\(i)", "v")) }
        await abuser.flood(frames, perWrite: 10)
        let (goAway, closed) = await abuser.goAwayOrClose()
        #expect(goAway?.errorCode == H2.enhanceYourCalm, "frames: \(abuser.frames)")
        #expect(closed)
        #expect(!abuser.frames.contains { $0.type == H2.T.headers }, "no response to the flooded request")
        try await expectLegitimateClientServed(server)
    }

    @Test("a header list larger than the maximum is refused, never answered 2xx")
    func headerListTooLarge() async throws {
        let server = try await TestFrontDoor.start { $0.maxHeaderListSize = 1024 }
        defer { Task { await server.frontDoor.drain() } }
        let abuser = try await HTTP2RawClient.connect(port: server.port, group: server.group)
        try await abuser.write(H2.request(1, path: "/slow?ms=1", extra: [("x-big", String(repeating: "a", count: 4000))]))
        _ = await abuser.waitForFrame { $0.isGoAway || ($0.stream == 1 && ($0.type == H2.T.rstStream || $0.headers != nil)) }
        let answer = abuser.frames.first { $0.stream == 1 && $0.headers != nil }
        let refused = abuser.goAway != nil || abuser.isClosed
            || abuser.frames.contains { $0.stream == 1 && $0.type == H2.T.rstStream } || answer?.status == "431"
        #expect(refused, "frames: \(abuser.frames)")
        #expect(answer?.status?.hasPrefix("2") != true)
        await abuser.close()
        try await expectLegitimateClientServed(server)
    }

    @Test("an HPACK bomb (small on the wire, large once decoded) is refused, never answered 2xx")
    func hpackBomb() async throws {
        let server = try await TestFrontDoor.start { $0.maxHeaderListSize = 2048 }
        defer { Task { await server.frontDoor.drain() } }
        let abuser = try await HTTP2RawClient.connect(port: server.port, group: server.group)
        // One 1,000-byte field enters the dynamic table, then 30 one-byte references to it: ~1 KB
        // on the wire, ~31 KB decoded.
        let block = H2.requestBlock(method: "GET", path: "/slow?ms=1")
            + H2.literalIndexed("x-bomb", String(repeating: "b", count: 1000))
            + (0..<30).flatMap { _ in H2.indexed(62) }
        #expect(block.count < 2048)
        try await abuser.write(H2.frame(type: H2.T.headers, flags: H2.endHeaders | H2.endStream, stream: 1, payload: block))
        _ = await abuser.waitForFrame { $0.isGoAway || ($0.stream == 1 && ($0.type == H2.T.rstStream || $0.headers != nil)) }
        let answer = abuser.frames.first { $0.stream == 1 && $0.headers != nil }
        let refused = abuser.goAway != nil || abuser.isClosed
            || abuser.frames.contains { $0.stream == 1 && $0.type == H2.T.rstStream } || answer?.status == "431"
        #expect(refused, "frames: \(abuser.frames)")
        #expect(answer?.status?.hasPrefix("2") != true)
        await abuser.close()
        try await expectLegitimateClientServed(server)
    }

    /// RFC 9113 §5.1.2 allows a stream error (REFUSED_STREAM or PROTOCOL_ERROR) here; swift-nio-http2
    /// 1.46.0 makes it a connection error instead (GOAWAY PROTOCOL_ERROR), which also ends the streams
    /// in flight on that connection. Either way the excess stream is never served.
    @Test("a stream past SETTINGS_MAX_CONCURRENT_STREAMS is refused, by RST_STREAM or GOAWAY")
    func tooManyConcurrentStreams() async throws {
        let server = try await TestFrontDoor.start { $0.maxConcurrentStreams = 3 }
        defer { Task { await server.frontDoor.drain() } }
        let abuser = try await HTTP2RawClient.connect(port: server.port, group: server.group)
        try await abuser.write([1, 3, 5, 7].flatMap { H2.request($0, path: "/slow?ms=1000") })
        let refusal = await abuser.waitForFrame { $0.isGoAway || ($0.stream == 7 && $0.type == H2.T.rstStream) }
        #expect(refusal?.errorCode == H2.refusedStream || refusal?.errorCode == H2.protocolError, "frames: \(abuser.frames)")
        if refusal?.isGoAway == false {
            for stream: UInt32 in [1, 3, 5] {
                let answer = await abuser.waitForFrame { $0.stream == stream && $0.headers != nil }
                #expect(answer?.status == "200", "stream \(stream): \(abuser.frames)")
            }
        }
        try await Task.sleep(for: .milliseconds(1200))
        #expect(!abuser.frames.contains { $0.stream == 7 && $0.headers != nil })
        await abuser.close()
        try await expectLegitimateClientServed(server)
    }

    @Test("an HTTP/2 body that stops arriving gets 408 on its stream")
    func slowBody() async throws {
        let server = try await TestFrontDoor.start { $0.bodyTimeout = .milliseconds(300) }
        defer { Task { await server.frontDoor.drain() } }
        let abuser = try await HTTP2RawClient.connect(port: server.port, group: server.group)
        try await abuser.write(H2.request(1, method: "POST", path: "/echo", extra: [("content-length", "100")], endStream: false)
                               + H2.data(1, Array("0123456789".utf8)))
        let answer = await abuser.waitForFrame { $0.stream == 1 && $0.headers != nil }
        #expect(answer?.status == "408", "frames: \(abuser.frames)")
        await abuser.close()
        try await expectLegitimateClientServed(server)
    }

    @Test("an HTTP/2 request whose body never starts gets 408 on its stream")
    func headersWithoutBody() async throws {
        let server = try await TestFrontDoor.start { $0.bodyTimeout = .milliseconds(300) }
        defer { Task { await server.frontDoor.drain() } }
        let abuser = try await HTTP2RawClient.connect(port: server.port, group: server.group)
        try await abuser.write(H2.request(1, method: "POST", path: "/echo", extra: [("content-length", "100")], endStream: false))
        let answer = await abuser.waitForFrame { $0.stream == 1 && $0.headers != nil }
        #expect(answer?.status == "408", "frames: \(abuser.frames)")
        await abuser.close()
        try await expectLegitimateClientServed(server)
    }

    @Test("an HTTP/2 body over the route's limit gets 413 on its stream")
    func oversizedBody() async throws {
        let server = try await TestFrontDoor.start()
        defer { Task { await server.frontDoor.drain() } }
        let abuser = try await HTTP2RawClient.connect(port: server.port, group: server.group)
        // No content-length: the limit must trip while the body streams in.
        try await abuser.write(H2.request(1, method: "POST", path: "/echo", endStream: false)
                               + H2.data(1, Array(repeating: UInt8(ascii: "x"), count: 1500)))
        let answer = await abuser.waitForFrame { $0.stream == 1 && $0.headers != nil }
        #expect(answer?.status == "413", "frames: \(abuser.frames)")
        await abuser.close()
        try await expectLegitimateClientServed(server)
    }

    /// Regression (found by scripts/chaos): the HTTP/2 handlers are added after ALPN, on an active
    /// channel, so an idle timer started only by `channelActive` never ran and these connections
    /// were held forever. `HTTP2ConnectionCloser` is armed when the handler is added.
    @Test("idle HTTP/2 connections, and those stuck in an unfinished header block, are closed after the idle timeout")
    func idleAndUnfinishedHeaders() async throws {
        // Two seconds, not less: on a loaded machine connecting the second client and writing its
        // header block took over a second once, and the server had closed it as idle already.
        let server = try await TestFrontDoor.start { $0.idleTimeout = .seconds(2) }
        defer { Task { await server.frontDoor.drain() } }
        let idle = try await HTTP2RawClient.connect(port: server.port, group: server.group)
        let stuck = try await HTTP2RawClient.connect(port: server.port, group: server.group)
        try await stuck.write(H2.request(1, method: "POST", path: "/echo", endStream: false, endHeaders: false))
        async let idleResult = idle.goAwayOrClose(limit: .seconds(8))
        async let stuckResult = stuck.goAwayOrClose(limit: .seconds(8))
        let (idleClosed, stuckClosed) = await (idleResult.closed, stuckResult.closed)
        #expect(idleClosed, "idle connection: \(idle.frames)")
        #expect(stuckClosed, "unfinished header block: \(stuck.frames)")
        try await expectLegitimateClientServed(server)
    }

    /// Regression guard: the idle closer must see streams open. Under NIOHTTP2's multiplexer it
    /// did not (stream events went to the multiplexer only), and cut uploads 70 s into a connection.
    @Test("a request that outlasts the idle timeout is not cut: an open stream keeps its connection")
    func longRequestOutlivesIdleTimeout() async throws {
        // The idle limit is 3 s here; the request takes 7 s. With a 1 s limit, a clean-clone CI
        // run once took longer than that from the connection to its first request (the machine
        // busy with the whole suite): the connection was closed as idle before the stream opened.
        let server = try await TestFrontDoor.start { $0.idleTimeout = .seconds(3) }
        defer { Task { await server.frontDoor.drain() } }
        try await withInsecureClient { client in
            let response = try await client.execute(HTTPClientRequest(url: server.baseURL + "/slow?ms=7000"), timeout: .seconds(20))
            #expect(response.status == .ok)
            #expect(response.version == .http2)
            #expect(String(buffer: try await response.body.collect(upTo: 1024)) == "done")
        }
    }

    @Test("draining: GOAWAY NO_ERROR naming the stream in flight, which is still answered; then the close")
    func drainAnswersTheStreamInFlight() async throws {
        let server = try await TestFrontDoor.start()
        let client = try await HTTP2RawClient.connect(port: server.port, group: server.group)
        let tag = TestServices.unique("h2drain")
        try await client.write(H2.request(1, path: "/slow?ms=700&tag=\(tag)"))
        while !SlowEndpoint.arrived.withLockedValue({ $0.contains(tag) }) {
            try await Task.sleep(for: .milliseconds(10))
        }
        async let drained: Void = server.frontDoor.drain()
        let goAway = await client.waitForFrame { $0.isGoAway }
        #expect(goAway?.errorCode == H2.noError, "frames: \(client.frames)")
        // The GOAWAY's last stream id: the client learns stream 1 will still be answered.
        #expect(goAway.map { Array($0.payload.prefix(4)) } == [0, 0, 0, 1])
        let answer = await client.waitForFrame { $0.stream == 1 && $0.status != nil }
        #expect(answer?.status == "200", "frames: \(client.frames), closed: \(client.isClosed)")
        let closed = await client.goAwayOrClose(limit: .seconds(5)).closed
        #expect(closed, "the connection closes once its last stream is answered")
        await drained
    }

    @Test("HTTP/2 connections past the cap are closed at once; those within are served")
    func connectionCap() async throws {
        let server = try await TestFrontDoor.start { $0.maxConnections = 2 }
        defer { Task { await server.frontDoor.drain() } }
        let first = try await HTTP2RawClient.connect(port: server.port, group: server.group)
        let second = try await HTTP2RawClient.connect(port: server.port, group: server.group)
        await #expect(throws: (any Error).self) {
            let third = try await HTTP2RawClient.connect(port: server.port, group: server.group)
            await third.close()
        }
        try await first.write(H2.request(1, path: "/slow?ms=1"))
        let answer = await first.waitForFrame { $0.stream == 1 && $0.headers != nil }
        #expect(answer?.status == "200", "frames: \(first.frames)")
        await first.close()
        await second.close()
        // Once the idle connections are gone, new clients are admitted again.
        try await Task.sleep(for: .milliseconds(200))
        try await expectLegitimateClientServed(server)
    }
}
