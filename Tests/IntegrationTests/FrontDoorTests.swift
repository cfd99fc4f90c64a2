import AsyncHTTPClient
import Foundation
import InletServer
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS
import Testing

@Suite("Front door: TLS, ALPN, limits, timeouts, reload, drain")
struct FrontDoorTests {
    @Test("ALPN h2 is served over HTTP/2 and http/1.1 over HTTP/1.1, by the same routes")
    func alpnBothWays() async throws {
        let server = try await TestFrontDoor.start()
        defer { Task { await server.frontDoor.drain() } }
        for http1Only in [false, true] {
            try await withInsecureClient(http1Only: http1Only) { client in
                var request = HTTPClientRequest(url: server.baseURL + "/echo")
                request.method = .POST
                request.body = .bytes(ByteBuffer(string: "hello"))
                let response = try await client.execute(request, timeout: .seconds(10))
                #expect(response.status == .ok)
                #expect(response.version == (http1Only ? .http1_1 : .http2))
                #expect(response.headers.first(name: "x-request-id")?.count == 32)
                // A JSON answer's content type, once, and the endpoint's own fields after it.
                #expect(response.headers["content-type"] == ["application/json"])
                #expect(response.headers.first(name: "x-echo-bytes") == "5")
                let body = try await response.body.collect(upTo: 1024)
                #expect(String(buffer: body) == #"{"bytes":5}"#)
            }
        }
    }

    @Test("an endpoint's failure is a plain 500; an answer given at once, or from another thread, is written; the connection serves on")
    func endpointAnswers() async throws {
        let server = try await TestFrontDoor.start()
        defer { Task { await server.frontDoor.drain() } }
        for http1Only in [false, true] {
            try await withInsecureClient(http1Only: http1Only) { client in
                for _ in 0..<2 {
                    let failed = try await client.execute(HTTPClientRequest(url: server.baseURL + "/fail"), timeout: .seconds(10))
                    #expect(failed.status == .internalServerError)
                    let body = String(buffer: try await failed.body.collect(upTo: 1024))
                    #expect(body.contains(#""code":"internal""#) && body.contains(#""message":"internal error""#))
                    let elsewhere = try await client.execute(HTTPClientRequest(url: server.baseURL + "/elsewhere"), timeout: .seconds(10))
                    #expect(elsewhere.status == .noContent)
                    var echo = HTTPClientRequest(url: server.baseURL + "/echo")
                    echo.method = .POST
                    echo.body = .bytes(ByteBuffer(string: "abc"))
                    let echoed = try await client.execute(echo, timeout: .seconds(10))
                    #expect(echoed.status == .ok)
                    #expect(String(buffer: try await echoed.body.collect(upTo: 1024)) == #"{"bytes":3}"#)
                }
            }
        }
    }

    @Test("a client's X-Request-Id is kept; unknown paths get a JSON 404")
    func requestIdAndNotFound() async throws {
        let server = try await TestFrontDoor.start()
        defer { Task { await server.frontDoor.drain() } }
        try await withInsecureClient { client in
            var request = HTTPClientRequest(url: server.baseURL + "/nowhere")
            request.headers.add(name: "x-request-id", value: "abc-123")
            let response = try await client.execute(request, timeout: .seconds(10))
            #expect(response.status == .notFound)
            #expect(response.headers.first(name: "x-request-id") == "abc-123")
            let body = String(buffer: try await response.body.collect(upTo: 1024))
            #expect(body.contains(#""success":false"#))
        }
    }

    @Test("the head fields the exchange reads itself (request id, length, encoding) count alike over HTTP/2 and HTTP/1.1")
    func headFieldsBothWays() async throws {
        let server = try await TestFrontDoor.start()
        defer { Task { await server.frontDoor.drain() } }
        for http1Only in [false, true] {
            try await withInsecureClient(http1Only: http1Only) { client in
                // The first X-Request-Id is the one kept.
                var request = HTTPClientRequest(url: server.baseURL + "/echo")
                request.method = .POST
                request.headers.add(name: "x-request-id", value: "first-id")
                request.headers.add(name: "x-request-id", value: "second-id")
                request.body = .bytes(ByteBuffer(string: "hello"))
                var response = try await client.execute(request, timeout: .seconds(10))
                #expect(response.status == .ok)
                #expect(response.headers.first(name: "x-request-id") == "first-id")
                #expect(String(buffer: try await response.body.collect(upTo: 1024)) == #"{"bytes":5}"#)

                // A declared length over the limit.
                request = HTTPClientRequest(url: server.baseURL + "/echo")
                request.method = .POST
                request.body = .bytes(ByteBuffer(repeating: UInt8(ascii: "a"), count: 5_000))
                response = try await client.execute(request, timeout: .seconds(10))
                #expect(response.status == .payloadTooLarge)
                #expect(response.headers.first(name: "x-request-id")?.count == 32)

                // An encoding other than gzip or identity, and identity.
                for (encoding, status) in [("br", HTTPResponseStatus.unsupportedMediaType), ("identity", .ok)] {
                    request = HTTPClientRequest(url: server.baseURL + "/echo")
                    request.method = .POST
                    request.headers.add(name: "content-encoding", value: encoding)
                    request.body = .bytes(ByteBuffer(string: "hello"))
                    response = try await client.execute(request, timeout: .seconds(10))
                    #expect(response.status == status, "\(encoding) over \(http1Only ? "HTTP/1.1" : "HTTP/2")")
                }
            }
        }
    }

    @Test("TLS 1.1 and older are refused; TLS 1.2 is accepted")
    func tlsFloor() async throws {
        let server = try await TestFrontDoor.start()
        defer { Task { await server.frontDoor.drain() } }
        await #expect(throws: (any Error).self) {
            let client = try await RawTLSClient.connect(port: server.port, group: server.group, minimumTLS: .tlsv1, maximumTLS: .tlsv11)
            await client.close()
        }
        let modern = try await RawTLSClient.connect(port: server.port, group: server.group, maximumTLS: .tlsv12)
        #expect(modern.negotiatedProtocol == "http/1.1")
        await modern.close()
    }

    @Test("plain-text HTTP on the TLS port gets no HTTP answer")
    func plainTextRefused() async throws {
        let server = try await TestFrontDoor.start()
        defer { Task { await server.frontDoor.drain() } }
        let channel = try await ClientBootstrap(group: server.group).connect(host: "127.0.0.1", port: server.port).get()
        try await channel.writeAndFlush(ByteBuffer(string: "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n"))
        // The server closes: it never speaks HTTP without TLS.
        try await channel.closeFuture.get()
    }

    @Test("a chunked body over the limit gets 413 before the body ends, and the connection closes")
    func oversizedChunkedBody() async throws {
        let server = try await TestFrontDoor.start()
        defer { Task { await server.frontDoor.drain() } }
        let client = try await RawTLSClient.connect(port: server.port, group: server.group)
        try await client.send("POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n")
        let chunk = String(repeating: "x", count: 600)
        try await client.send("258\r\n\(chunk)\r\n258\r\n\(chunk)\r\n")
        // No terminating chunk is ever sent: the answer must come mid-stream.
        let response = try await client.responseUntilClose()
        #expect(response.hasPrefix("HTTP/1.1 413"))
        #expect(response.contains("too_large"))
    }

    @Test("a declared Content-Length over the limit is refused at once")
    func declaredLengthTooLarge() async throws {
        let server = try await TestFrontDoor.start()
        defer { Task { await server.frontDoor.drain() } }
        let client = try await RawTLSClient.connect(port: server.port, group: server.group)
        try await client.send("POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5000\r\n\r\n")
        let response = try await client.responseUntilClose()
        #expect(response.hasPrefix("HTTP/1.1 413"))
    }

    @Test("a gzip body that inflates past the limit gets 413")
    func gzipBomb() async throws {
        let server = try await TestFrontDoor.start()
        defer { Task { await server.frontDoor.drain() } }
        let bomb = try gzip(Array(repeating: UInt8(ascii: "a"), count: 200_000))
        #expect(bomb.count < 1_000)
        try await withInsecureClient { client in
            var request = HTTPClientRequest(url: server.baseURL + "/echo")
            request.method = .POST
            request.headers.add(name: "content-encoding", value: "gzip")
            request.body = .bytes(ByteBuffer(bytes: bomb))
            let response = try await client.execute(request, timeout: .seconds(10))
            #expect(response.status == .payloadTooLarge)
        }
    }

    /// Regression: the body buffer is reserved from the declared length, which with
    /// `content-encoding: identity` is not checked against the route's limit first. A terabyte
    /// declared must not be reserved (the allocation would end the process).
    @Test("a declared length far past the limit, with content-encoding identity, reserves no more than the limit")
    func identityEncodedHugeLength() async throws {
        let server = try await TestFrontDoor.start { $0.bodyTimeout = .milliseconds(300) }
        defer { Task { await server.frontDoor.drain() } }
        let client = try await RawTLSClient.connect(port: server.port, group: server.group)
        try await client.send("POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Encoding: identity\r\n"
                              + "Content-Length: 1000000000000\r\n\r\n0123456789")
        #expect(try await client.responseUntilClose().hasPrefix("HTTP/1.1 408"))
        try await expectLegitimateClientServed(server)
    }

    @Test("a body that stops arriving gets 408")
    func slowBody() async throws {
        let server = try await TestFrontDoor.start { $0.bodyTimeout = .milliseconds(300) }
        defer { Task { await server.frontDoor.drain() } }
        let client = try await RawTLSClient.connect(port: server.port, group: server.group)
        try await client.send("POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n0123456789")
        let response = try await client.responseUntilClose()
        #expect(response.hasPrefix("HTTP/1.1 408"))
    }

    /// The body timer is armed when a read ends with the request still incomplete, so these cover
    /// a head arriving alone, and a body arriving over several reads.
    @Test("a request head with no body after it gets 408; a body that arrives over several reads is answered")
    func bodyTimerAcrossReads() async throws {
        let server = try await TestFrontDoor.start { $0.bodyTimeout = .milliseconds(300) }
        defer { Task { await server.frontDoor.drain() } }
        let stalled = try await RawTLSClient.connect(port: server.port, group: server.group)
        try await stalled.send("POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n")
        #expect(try await stalled.responseUntilClose().hasPrefix("HTTP/1.1 408"))

        // A timeout that a loaded test machine cannot overrun between the pieces.
        let patient = try await TestFrontDoor.start { $0.bodyTimeout = .seconds(5) }
        defer { Task { await patient.frontDoor.drain() } }
        let trickle = try await RawTLSClient.connect(port: patient.port, group: patient.group)
        try await trickle.send("POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 6\r\nConnection: close\r\n\r\n")
        for piece in ["ab", "cd", "ef"] {
            try await Task.sleep(for: .milliseconds(100))
            try await trickle.send(piece)
        }
        let answer = try await trickle.responseUntilClose()
        #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer)")
        #expect(answer.hasSuffix(#"{"bytes":6}"#))
    }

    @Test("a streamed body over HTTP/1.1 reaches its consumer whole, in slices, and is answered only once the consumer is done")
    func streamingOverHTTP1() async throws {
        let server = try await TestFrontDoor.start()
        defer { Task { await server.frontDoor.drain() } }
        let tag = TestServices.unique("gate")
        try await withInsecureClient(http1Only: true) { client in
            var request = HTTPClientRequest(url: server.baseURL + "/gated?tag=\(tag)")
            request.method = .POST
            request.body = .bytes(ByteBuffer(repeating: UInt8(ascii: "s"), count: 300_000))
            let answered = NIOLockedValueBox(false)
            let answer = Task {
                let response = try await client.execute(request, timeout: .seconds(20))
                answered.withLockedValue { $0 = true }
                return response
            }
            try await Task.sleep(for: .milliseconds(300))
            #expect(answered.withLockedValue { $0 } == false, "answered before the consumer was done")
            GatedStreamingEndpoint.open(tag)
            let response = try await answer.value
            #expect(response.version == .http1_1)
            #expect(String(buffer: try await response.body.collect(upTo: 1024)) == #"{"bytes":300000}"#)
            // TLS hands HTTP/1.1 a whole read cycle at once; the consumer must still get it in slices,
            // or it takes in a megabyte of rows before it can push back (found by the imports bench).
            let largest = response.headers.first(name: "x-largest-chunk").flatMap(Int.init) ?? .max
            #expect(largest <= 64 * 1024, "largest chunk \(largest)")
        }
    }

    @Test("a malformed HTTP/1.1 request gets a JSON 400 and the connection closes")
    func malformedRequest() async throws {
        let server = try await TestFrontDoor.start()
        defer { Task { await server.frontDoor.drain() } }
        let client = try await RawTLSClient.connect(port: server.port, group: server.group)
        try await client.send("POST /echo HTTP/1.1\r\nHost: localhost\r\nA header without a colon\r\n\r\n")
        let response = try await client.responseUntilClose()
        #expect(response.hasPrefix("HTTP/1.1 400"), "\(response)")
        #expect(response.contains(#""code":"bad_request""#))
        #expect(!client.channel.isActive)
    }

    @Test("a request head that never completes is cut off")
    func slowHeaders() async throws {
        let server = try await TestFrontDoor.start { $0.headerTimeout = .milliseconds(300) }
        defer { Task { await server.frontDoor.drain() } }
        let client = try await RawTLSClient.connect(port: server.port, group: server.group)
        try await client.send("POST /echo HTTP/1.1\r\nHost: loc")
        let response = try await client.responseUntilClose()
        #expect(!response.contains("200"))
        #expect(!client.channel.isActive)
    }

    @Test("connections beyond the cap are closed at once; those within are served")
    func connectionCap() async throws {
        let server = try await TestFrontDoor.start { $0.maxConnections = 2 }
        defer { Task { await server.frontDoor.drain() } }
        let first = try await RawTLSClient.connect(port: server.port, group: server.group)
        let second = try await RawTLSClient.connect(port: server.port, group: server.group)
        await #expect(throws: (any Error).self) {
            let third = try await RawTLSClient.connect(port: server.port, group: server.group)
            await third.close()
        }
        try await first.send("POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
        #expect(try await first.responseUntilClose().hasPrefix("HTTP/1.1 200"))
        await second.close()
    }

    @Test("SIGHUP's reload: new handshakes get the new certificate, open connections keep working")
    func certificateReload() async throws {
        let server = try await TestFrontDoor.start()
        defer { Task { await server.frontDoor.drain() } }
        let before = try await peerCertificate(port: server.port, group: server.group)
        let open = try await RawTLSClient.connect(port: server.port, group: server.group)

        _ = try DevCertificate.write(to: server.certificateDirectory, commonName: "localhost")
        try server.tls.reload()

        let after = try await peerCertificate(port: server.port, group: server.group)
        #expect(before != after)
        try await open.send("POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
        #expect(try await open.responseUntilClose().hasPrefix("HTTP/1.1 200"))
    }

    @Test("drain lets an in-flight request finish and stops accepting")
    func gracefulDrain() async throws {
        let server = try await TestFrontDoor.start()
        let tag = TestServices.unique("drain")
        try await withInsecureClient { client in
            async let slow = client.execute(HTTPClientRequest(url: server.baseURL + "/slow?ms=700&tag=\(tag)"), timeout: .seconds(30))
            // Drain only once the request is really in flight on the server.
            while !SlowEndpoint.arrived.withLockedValue({ $0.contains(tag) }) {
                try await Task.sleep(for: .milliseconds(10))
            }
            await server.frontDoor.drain()
            let response = try await slow
            #expect(response.status == .ok)
            #expect(String(buffer: try await response.body.collect(upTo: 100)) == "done")
        }
        await #expect(throws: (any Error).self) {
            _ = try await RawTLSClient.connect(port: server.port, group: server.group)
        }
    }

    /// The DER bytes of the certificate the server presents to a new connection.
    private func peerCertificate(port: Int, group: any EventLoopGroup) async throws -> [UInt8] {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        let context = try NIOSSLContext(configuration: tls)
        let loop = group.next()
        let certificate = loop.makePromise(of: [UInt8].self)
        do {
            let channel = try await ClientBootstrap(group: loop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: "localhost"))
                        try channel.pipeline.syncOperations.addHandler(PeerCertificateCatcher(promise: certificate))
                    }
                }
                .connect(host: "127.0.0.1", port: port).get()
            let der = try await certificate.futureResult.get()
            try? await channel.close()
            return der
        } catch {
            certificate.fail(error)
            throw error
        }
    }
}

/// Reads the server's certificate the moment the handshake completes.
private final class PeerCertificateCatcher: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let promise: EventLoopPromise<[UInt8]>

    init(promise: EventLoopPromise<[UInt8]>) {
        self.promise = promise
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent {
            do {
                let handler = try context.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self)
                guard let certificate = handler.peerCertificate else { throw NIOSSLError.noCertificateToValidate }
                promise.succeed(try certificate.toDERBytes())
            } catch {
                promise.fail(error)
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }
}

/// gzip by the system's `gzip` command: an implementation independent of the server's inflater.
func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/gzip")
    process.arguments = ["-c", "-9"]
    let input = Pipe()
    let output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try process.run()
    input.fileHandleForWriting.write(Data(bytes))
    try input.fileHandleForWriting.close()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Array(data)
}
