import NIOCore

/// Turns the flushes a connection receives within one event-loop tick into one. Responses finish
/// when the store answers, outside any read cycle, so without this every response (and every
/// HTTP/2 stream's response) would cost its own TLS record and `write` syscall. Sits right
/// after TLS, so everything above it shares the deferred flush.
final class FlushCoalescingHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = NIOAny

    private var flushPending = false

    func flush(context: ChannelHandlerContext) {
        guard !flushPending else { return }
        flushPending = true
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let (handler, context) = loopBound.value
            guard handler.flushPending else { return }
            handler.flushPending = false
            context.flush()
        }
    }

    /// A close must not overtake a deferred flush: the last response before a GOAWAY or a
    /// `Connection: close` would be dropped with the connection.
    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if flushPending {
            flushPending = false
            context.flush()
        }
        context.close(mode: mode, promise: promise)
    }
}
