import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// The plain-HTTP operator listener: `/healthz` (the process runs), `/readyz` (Redis and MongoDB
/// answer), `/metrics` (Prometheus text). Kept off the public port and bound to loopback by default.
public final class AdminServer: Sendable {
    private let host: String
    private let port: Int
    private let readiness: Readiness
    private let group: any EventLoopGroup
    private let logger: Logger
    private let channel = NIOLockedValueBox<(any Channel)?>(nil)

    public init(host: String, port: Int, readiness: Readiness, group: any EventLoopGroup, logger: Logger) {
        self.host = host
        self.port = port
        self.readiness = readiness
        self.group = group
        self.logger = logger
    }

    @discardableResult
    public func start() async throws -> SocketAddress {
        let readiness = self.readiness
        let bound = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(AdminHandler(readiness: readiness))
                }
            }
            .bind(host: host, port: port)
            .get()
        channel.withLockedValue { $0 = bound }
        logger.info("admin listener up", metadata: ["address": "\(bound.localAddress.map { "\($0)" } ?? "?")"])
        guard let address = bound.localAddress else { throw ChannelError.unknownLocalAddress }
        return address
    }

    public func stop() async {
        let bound = channel.withLockedValue { value in defer { value = nil }; return value }
        try? await bound?.close()
    }
}

/// Answers the three admin paths; anything else is `404`.
final class AdminHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let readiness: Readiness
    private var path: String?

    init(readiness: Readiness) {
        self.readiness = readiness
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            path = String(head.uri.split(separator: "?").first ?? "")
        case .body:
            break
        case .end:
            let path = self.path ?? ""
            self.path = nil
            switch path {
            case "/healthz":
                respond(.ok, contentType: "application/json", body: LivenessEndpoint.body, context: context)
            case "/metrics":
                respond(.ok, contentType: "text/plain; version=0.0.4", body: InletMetrics.registry.emitToBuffer(), context: context)
            case "/readyz":
                readiness.check(on: context.eventLoop).assumeIsolated().whenComplete { result in
                    switch result {
                    case .success(let statuses):
                        let (ready, body) = Readiness.render(statuses)
                        self.respond(ready ? .ok : .serviceUnavailable, contentType: "application/json", body: body, context: context)
                    case .failure:
                        self.respond(.serviceUnavailable, contentType: "application/json", body: Array(#"{"ready":false}"#.utf8), context: context)
                    }
                }
            default:
                respond(.notFound, contentType: "application/json", body: InletErrorBody.render(status: 404, code: "not_found", message: "no such endpoint"), context: context)
            }
        }
    }

    private func respond(_ status: HTTPResponseStatus, contentType: String, body: [UInt8], context: ChannelHandlerContext) {
        let headers = HTTPHeaders([("content-type", contentType), ("content-length", String(body.count))])
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
