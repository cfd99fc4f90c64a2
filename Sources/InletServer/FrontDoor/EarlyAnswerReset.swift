import NIOCore
import NIOHTTP2

/// Sits below the HTTP/1 translation of an HTTP/2 stream. When a response went out before the
/// request body ended (`413`, `408`), it resets the stream with `NO_ERROR`, as RFC 9113 §8.1 asks:
/// the client stops sending and still reads the answer. A plain close would reset with `CANCEL`,
/// which some clients treat as a failure and drop the response.
final class EarlyAnswerReset: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    /// Sent by `RequestHandler` after an early answer's last part.
    struct Request: Sendable {}

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is Request else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        context.writeAndFlush(wrapOutboundOut(.rstStream(.noError)), promise: promise)
    }
}
