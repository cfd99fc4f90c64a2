import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// A TLS client that sends raw bytes and collects what comes back until the server closes, for
/// tests that must misbehave in ways a real HTTP client will not (stalled bodies, oversized chunked
/// bodies, old TLS versions).
final class RawTLSClient: Sendable {
    let channel: any Channel
    private let received: NIOLockedValueBox<[UInt8]>
    let negotiatedProtocol: String?

    private init(channel: any Channel, received: NIOLockedValueBox<[UInt8]>, negotiatedProtocol: String?) {
        self.channel = channel
        self.received = received
        self.negotiatedProtocol = negotiatedProtocol
    }

    static func connect(
        port: Int, group: any EventLoopGroup, alpn: [String] = ["http/1.1"],
        minimumTLS: TLSVersion = .tlsv12, maximumTLS: TLSVersion? = nil
    ) async throws -> RawTLSClient {
        let received = NIOLockedValueBox<[UInt8]>([])
        let (channel, negotiated) = try await connectTestTLS(
            port: port, group: group, alpn: alpn, minimumTLS: minimumTLS, maximumTLS: maximumTLS
        ) { handshake in Collector(received: received, handshake: handshake) }
        return RawTLSClient(channel: channel, received: received, negotiatedProtocol: negotiated)
    }

    func send(_ text: String) async throws {
        try await send(Array(text.utf8))
    }

    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes))
    }

    /// Waits until the server closes the connection (or `limit` passes), then returns all it sent.
    func responseUntilClose(limit: TimeAmount = .seconds(20)) async throws -> String {
        let timeout = channel.eventLoop.scheduleTask(in: limit) { self.channel.close(promise: nil) }
        try? await channel.closeFuture.get()
        timeout.cancel()
        return String(decoding: received.withLockedValue { $0 }, as: UTF8.self)
    }

    var receivedText: String { String(decoding: received.withLockedValue { $0 }, as: UTF8.self) }

    func close() async {
        try? await channel.close()
    }

    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let received: NIOLockedValueBox<[UInt8]>
        let handshake: EventLoopPromise<String?>

        init(received: NIOLockedValueBox<[UInt8]>, handshake: EventLoopPromise<String?>) {
            self.received = received
            self.handshake = handshake
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            received.withLockedValue { $0.append(contentsOf: buffer.readableBytesView) }
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case .handshakeCompleted(let negotiated) = event as? TLSUserEvent {
                handshake.succeed(negotiated)
            }
            context.fireUserInboundEventTriggered(event)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            handshake.fail(error)
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            handshake.fail(ChannelError.ioOnClosedChannel)
            context.fireChannelInactive()
        }
    }
}

/// Connects a TLS client that trusts any certificate, adds the handler `reader` makes (it must
/// complete the handshake promise with the negotiated ALPN protocol, or fail it), and returns the
/// channel once the handshake is done. Shared by the raw HTTP/1.1 and HTTP/2 test clients.
func connectTestTLS(
    port: Int, group: any EventLoopGroup, alpn: [String], minimumTLS: TLSVersion = .tlsv12, maximumTLS: TLSVersion? = nil,
    reader: @escaping @Sendable (EventLoopPromise<String?>) -> any ChannelHandler
) async throws -> (channel: any Channel, negotiated: String?) {
    var tls = TLSConfiguration.makeClientConfiguration()
    tls.certificateVerification = .none
    tls.applicationProtocols = alpn
    tls.minimumTLSVersion = minimumTLS
    tls.maximumTLSVersion = maximumTLS
    let context = try NIOSSLContext(configuration: tls)
    let loop = group.next()
    let handshake = loop.makePromise(of: String?.self)
    let channel: any Channel
    do {
        channel = try await ClientBootstrap(group: loop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: "localhost"))
                    try channel.pipeline.syncOperations.addHandler(reader(handshake))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
    } catch {
        handshake.fail(error)
        throw error
    }
    return (channel, try await handshake.futureResult.get())
}
