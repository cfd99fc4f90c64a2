import Logging
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS

/// The public listener: TLS, then HTTP/2 (nghttp2, see `HTTP2RequestHandler`) or HTTP/1.1 by ALPN,
/// both served by the same router. Built on NIO directly so every HTTP/2 abuse limit is a setting
/// (DESIGN.md explains why).
public final class FrontDoor: Sendable {
    private let configuration: FrontDoorConfiguration
    private let tls: TLSContextStore
    private let router: any Router
    private let group: any EventLoopGroup
    private let logger: Logger
    private let connections: ConnectionCounter
    private let metrics = RequestMetrics()
    private let running = NIOLockedValueBox<(channel: any Channel, quiescing: ServerQuiescingHelper)?>(nil)
    private static let protocolErrors = Counter(label: "inlet_h2_protocol_errors_total")

    public init(configuration: FrontDoorConfiguration, tls: TLSContextStore, router: any Router,
                group: any EventLoopGroup, logger: Logger) {
        self.configuration = configuration
        self.tls = tls
        self.router = router
        self.group = group
        self.logger = logger
        self.connections = ConnectionCounter(cap: configuration.maxConnections)
    }

    /// Binds and starts accepting. Returns the bound address (port 0 picks a free one, for tests).
    @discardableResult
    public func start() async throws -> SocketAddress {
        let quiescing = ServerQuiescingHelper(group: group)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { [self] channel in
                self.initializeConnection(channel)
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
        running.withLockedValue { $0 = (channel, quiescing) }
        logger.info("public listener up", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")"])
        guard let address = channel.localAddress else { throw ChannelError.unknownLocalAddress }
        return address
    }

    public var localAddress: SocketAddress? {
        running.withLockedValue { $0?.channel.localAddress }
    }

    /// Stops accepting, lets in-flight requests finish (HTTP/1.1 closes after its current response,
    /// HTTP/2 sends GOAWAY), and closes whatever is left at the drain deadline.
    public func drain() async {
        guard let (channel, quiescing) = running.withLockedValue({ value in defer { value = nil }; return value }) else { return }
        let drained = channel.eventLoop.makePromise(of: Void.self)
        quiescing.initiateShutdown(promise: drained)
        let deadline = channel.eventLoop.scheduleTask(in: configuration.drainDeadline) {
            drained.succeed()
        }
        try? await drained.futureResult.get()
        deadline.cancel()
        logger.info("public listener drained")
    }

    private func initializeConnection(_ channel: any Channel) -> EventLoopFuture<Void> {
        guard connections.admit() else {
            return channel.close()
        }
        let connections = self.connections
        channel.closeFuture.whenComplete { _ in connections.release() }
        return channel.eventLoop.makeCompletedFuture {
            let sync = channel.pipeline.syncOperations
            try sync.addHandler(NIOSSLServerHandler(context: tls.context))
            try sync.addHandler(FlushCoalescingHandler())
            try sync.addHandler(TLSHandshakeGuard(timeout: configuration.handshakeTimeout))
            // ALPN picks the protocol; no ALPN at all means HTTP/1.1.
            try sync.addHandler(ApplicationProtocolNegotiationHandler { [self] result in
                switch result {
                case .negotiated("h2"):
                    return self.configureHTTP2(channel)
                case .negotiated("http/1.1"), .fallback:
                    return self.configureHTTP1(channel)
                case .negotiated:
                    return channel.close()
                }
            })
        }
    }

    private func configureHTTP1(_ channel: any Channel) -> EventLoopFuture<Void> {
        channel.eventLoop.makeCompletedFuture {
            let sync = channel.pipeline.syncOperations
            try sync.addHandler(HeaderTimeoutHandler(headerTimeout: configuration.headerTimeout, idleTimeout: configuration.idleTimeout))
            // Malformed requests are answered by HTTP1RequestHandler (see its `errorCaught`).
            try sync.configureHTTPServerPipeline(withPipeliningAssistance: true, withErrorHandling: false)
            let metrics = ConnectionRequestMetrics(shared: self.metrics)
            try sync.addHandler(HTTP1RequestHandler { [self] transport in self.makeExchange(transport, metrics: metrics) })
        }
    }

    private func configureHTTP2(_ channel: any Channel) -> EventLoopFuture<Void> {
        channel.eventLoop.makeCompletedFuture {
            let metrics = ConnectionRequestMetrics(shared: self.metrics)
            let handler = HTTP2RequestHandler(limits: configuration, protocolErrors: Self.protocolErrors, logger: logger) { [self] transport in
                self.makeExchange(transport, metrics: metrics)
            }
            try channel.pipeline.syncOperations.addHandler(handler)
        }
    }

    private func makeExchange(_ transport: any ExchangeTransport, metrics: ConnectionRequestMetrics) -> RequestExchange {
        RequestExchange(transport: transport, router: router, configuration: .init(bodyTimeout: configuration.bodyTimeout),
                        metrics: metrics, logger: logger)
    }
}
