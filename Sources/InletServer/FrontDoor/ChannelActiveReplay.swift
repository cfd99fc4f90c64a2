import NIOCore

/// Replays `channelActive` to the handlers after it, then leaves. The HTTP/2 handlers are added
/// once ALPN has chosen `h2`, on a channel that is long active; NIOHTTP2's connection manager
/// starts its idle timer in `channelActive`, so without this a connection that never completes a
/// stream would never be closed as idle.
final class ChannelActiveReplay: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive {
            context.fireChannelActive()
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
