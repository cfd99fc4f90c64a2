import Metrics
import NIOCore
import NIOSSL
import NIOTLS

/// Closes connections whose TLS handshake does not finish in time, and counts failed handshakes
/// (old TLS versions, plain-text HTTP on the TLS port, bad clients) for `/metrics`.
final class TLSHandshakeGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private static let failures = Counter(label: "inlet_tls_handshake_failures_total")
    private let timeout: TimeAmount
    private var timer: Scheduled<Void>?
    private var completed = false

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: timeout) {
            Self.failures.increment()
            loopBound.value.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent {
            completed = true
            timer?.cancel()
            timer = nil
            context.fireUserInboundEventTriggered(event)
            // Its work is done: left in place it would be one more hop for every read of the connection.
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !completed {
            Self.failures.increment()
            timer?.cancel()
            context.close(promise: nil)
            return
        }
        context.fireErrorCaught(error)
    }
}
