import AsyncHTTPClient
import Foundation
import InletServer
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import Testing

/// A front door on a free port with a generated certificate and a small router of test endpoints.
struct TestFrontDoor {
    let frontDoor: FrontDoor
    let tls: TLSContextStore
    let port: Int
    let certificateDirectory: String
    let group: any EventLoopGroup

    static func start(configure: (inout FrontDoorConfiguration) -> Void = { _ in }) async throws -> TestFrontDoor {
        let group = MultiThreadedEventLoopGroup.singleton
        let directory = NSTemporaryDirectory() + TestServices.unique("certs")
        let paths = try DevCertificate.write(to: directory)
        let tls = try TLSContextStore(certificatePath: paths.certificate, keyPath: paths.key)
        var configuration = FrontDoorConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configure(&configuration)
        let frontDoor = FrontDoor(configuration: configuration, tls: tls, router: TestRouter(), group: group,
                                  logger: Logger(label: "test.frontdoor"))
        let address = try await frontDoor.start()
        return TestFrontDoor(frontDoor: frontDoor, tls: tls, port: address.port!, certificateDirectory: directory, group: group)
    }

    var baseURL: String { "https://localhost:\(port)" }
}

/// After an attack on other connections: a request on a separate, well-behaved connection must still be answered.
func expectLegitimateClientServed(_ server: TestFrontDoor, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    try await withInsecureClient { client in
        var request = HTTPClientRequest(url: server.baseURL + "/echo")
        request.method = .POST
        request.body = .bytes(ByteBuffer(string: "hello"))
        let response = try await client.execute(request, timeout: .seconds(10))
        #expect(response.status == .ok, sourceLocation: sourceLocation)
        #expect(response.version == .http2, sourceLocation: sourceLocation)
        #expect(String(buffer: try await response.body.collect(upTo: 1024)) == #"{"bytes":5}"#, sourceLocation: sourceLocation)
    }
}

/// `POST /echo` answers the body's length (limit 1,000 bytes, gzip accepted), `POST /echo-large`
/// the same with a 1 MB limit; `GET /slow?ms=N` answers after N milliseconds, to hold a request in
/// flight; `GET /fail` answers an internal error at once; `GET /elsewhere` answers `204` from a
/// thread that is not the request's event loop; `POST /gated?tag=T` streams its body to a consumer that stops at its first chunk until
/// the test opens gate `T`.
struct TestRouter: Router {
    func route(method: String, path: Substring) -> RouteTarget? {
        switch path {
        case "/echo": return RouteTarget(label: "echo", endpoint: EchoEndpoint(), maxBodyBytes: 1_000, acceptsGzip: true)
        case "/echo-large": return RouteTarget(label: "echo", endpoint: EchoEndpoint(), maxBodyBytes: 1 << 20, acceptsGzip: true)
        case "/gated": return RouteTarget(label: "gated", streaming: GatedStreamingEndpoint(), acceptsGzip: false)
        case "/slow": return RouteTarget(label: "slow", endpoint: SlowEndpoint(), maxBodyBytes: 0, acceptsGzip: false)
        case "/fail": return RouteTarget(label: "fail", endpoint: FailingEndpoint(), maxBodyBytes: 0, acceptsGzip: false)
        case "/elsewhere": return RouteTarget(label: "elsewhere", endpoint: OffLoopEndpoint(), maxBodyBytes: 0, acceptsGzip: false)
        default: return nil
        }
    }
}

struct EchoEndpoint: Endpoint {
    func respond(to request: InletRequest, on eventLoop: any EventLoop, answer: @escaping EndpointAnswer) {
        answer(.success(.json(.ok, Array(#"{"bytes":\#(request.body.count)}"#.utf8), headers: [("x-echo-bytes", "\(request.body.count)")])))
    }
}

struct FailingEndpoint: Endpoint {
    struct Failure: Error {}

    func respond(to request: InletRequest, on eventLoop: any EventLoop, answer: @escaping EndpointAnswer) {
        answer(.failure(Failure()))
    }
}

struct OffLoopEndpoint: Endpoint {
    func respond(to request: InletRequest, on eventLoop: any EventLoop, answer: @escaping EndpointAnswer) {
        Thread.detachNewThread { answer(.success(InletResponse(status: .noContent))) }
    }
}

struct SlowEndpoint: Endpoint {
    /// The `tag` query values of the slow requests that have reached the endpoint, so a test can
    /// wait until its request is in flight rather than guess with a sleep.
    static let arrived = NIOLockedValueBox<Set<String>>([])

    func respond(to request: InletRequest, on eventLoop: any EventLoop, answer: @escaping EndpointAnswer) {
        let parameters = Dictionary(
            (request.query ?? "").split(separator: "&").map { pair -> (String, String) in
                let parts = pair.split(separator: "=", maxSplits: 1)
                return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
            },
            uniquingKeysWith: { first, _ in first }
        )
        if let tag = parameters["tag"] { _ = Self.arrived.withLockedValue { $0.insert(tag) } }
        let ms = parameters["ms"].flatMap { Int($0) } ?? 500
        eventLoop.scheduleTask(in: .milliseconds(Int64(ms))) { InletResponse(status: .ok, body: Array("done".utf8)) }.futureResult
            .whenComplete(answer)
    }
}

/// A streaming endpoint whose consumer holds its first chunk until `open(tag)`, then counts the
/// bytes and answers their number: a slow consumer the transport must stop reading for.
struct GatedStreamingEndpoint: StreamingEndpoint {
    /// Gates by tag: closed (a promise waiting) or opened before their request arrived.
    private static let gates = NIOLockedValueBox<(waiting: [String: EventLoopPromise<Void>], opened: Set<String>)>(([:], []))

    /// Lets the consumer of `/gated?tag=tag` go on, now or as soon as its request arrives.
    static func open(_ tag: String) {
        let waiting = gates.withLockedValue { gates -> EventLoopPromise<Void>? in
            if let gate = gates.waiting.removeValue(forKey: tag) { return gate }
            gates.opened.insert(tag)
            return nil
        }
        waiting?.succeed()
    }

    func begin(_ head: InletRequestHead, on eventLoop: any EventLoop) -> EventLoopFuture<StreamingStart> {
        let tag = head.uri.split(separator: "tag=").last.map(String.init) ?? ""
        let gate = eventLoop.makePromise(of: Void.self)
        let alreadyOpen = Self.gates.withLockedValue { gates in
            if gates.opened.remove(tag) != nil { return true }
            gates.waiting[tag] = gate
            return false
        }
        if alreadyOpen { gate.succeed() }
        return eventLoop.makeSucceededFuture(.consume(Consumer(gate: gate.futureResult)))
    }

    final class Consumer: BodyConsumer, @unchecked Sendable {
        private let gate: EventLoopFuture<Void>
        private var bytes = 0
        private var largestChunk = 0

        init(gate: EventLoopFuture<Void>) { self.gate = gate }

        func consume(_ chunk: ByteBuffer) -> EventLoopFuture<ConsumeResult> {
            bytes += chunk.readableBytes
            largestChunk = max(largestChunk, chunk.readableBytes)
            return gate.map { .more }
        }

        /// `{"bytes":N}`, and the largest chunk it was handed in `x-largest-chunk`.
        func finish() -> EventLoopFuture<InletResponse> {
            gate.map { .json(.ok, Array(#"{"bytes":\#(self.bytes)}"#.utf8), headers: [("x-largest-chunk", String(self.largestChunk))]) }
        }

        func abort(reason: String) {}
    }
}

/// Runs `body` with a client that trusts any certificate, and shuts the client down whatever
/// happens: a client dropped without `shutdown()` traps, and would take the whole test run with it.
func withInsecureClient<T>(http1Only: Bool = false, _ body: (HTTPClient) async throws -> T) async throws -> T {
    let client = HTTPClient.insecure(http1Only: http1Only)
    do {
        let result = try await body(client)
        try await client.shutdown()
        return result
    } catch {
        try? await client.shutdown()
        throw error
    }
}

extension HTTPClient {
    /// A client that trusts any certificate (the test server's is self-signed).
    static func insecure(http1Only: Bool = false) -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.httpVersion = http1Only ? .http1Only : .automatic
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}
