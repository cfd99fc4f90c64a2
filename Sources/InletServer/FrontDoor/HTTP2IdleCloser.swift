import NIOCore
import NIOHTTP2

/// Closes an HTTP/2 connection that has had no open stream for the idle timeout plus a grace of
/// the same length, at most ten seconds. NIOHTTP2's connection manager closes idle connections
/// politely (GOAWAY, then PING, then a final GOAWAY once the PING is acknowledged), which a client
/// that never acknowledges (a slowloris holding an unfinished header block) can stall forever;
/// this is the hard stop behind it.
final class HTTP2IdleCloser: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame
    typealias InboundOut = HTTP2Frame

    private let limit: TimeAmount
    private var openStreams = 0
    private var timer: Scheduled<Void>?

    init(idleTimeout: TimeAmount) {
        self.limit = idleTimeout + min(idleTimeout, .seconds(10))
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is NIOHTTP2StreamCreatedEvent {
            openStreams += 1
            timer?.cancel()
            timer = nil
        } else if event is StreamClosedEvent {
            openStreams = max(0, openStreams - 1)
            if openStreams == 0 { arm(context: context) }
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func arm(context: ChannelHandlerContext) {
        timer?.cancel()
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: limit) {
            loopBound.value.close(promise: nil)
        }
    }
}
