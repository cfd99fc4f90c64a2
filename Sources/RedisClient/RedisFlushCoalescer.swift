import NIOCore

/// Sends a connection's commands in batches: a flush waits for the end of the event-loop tick, so
/// commands sent in one tick (each from its own reply's callback, say) share one `write` and cost
/// Redis one read, but every `maximumCommandsPerFlush` commands go out at once.
///
/// The bound is what lets the client and Redis work side by side. Without it a whole pipelining
/// window answered in one read goes back as one batch after the client has handled its last
/// reply, so Redis idles while the client works and the client idles while Redis works.
/// A command sent alone still leaves at the end of its tick: no timer, no added latency.
final class RedisFlushCoalescer: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let maximumCommandsPerFlush: Int
    private var unflushed = 0
    private var flushScheduled = false

    init(maximumCommandsPerFlush: Int) {
        self.maximumCommandsPerFlush = max(1, maximumCommandsPerFlush)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        context.write(data, promise: promise)
        unflushed += 1
        if unflushed >= maximumCommandsPerFlush { flushNow(context: context) }
    }

    func flush(context: ChannelHandlerContext) {
        guard unflushed > 0, !flushScheduled else { return }
        flushScheduled = true
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let (handler, context) = loopBound.value
            handler.flushScheduled = false
            if handler.unflushed > 0 { handler.flushNow(context: context) }
        }
    }

    /// A close must not overtake the commands still waiting for their flush.
    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if unflushed > 0 { flushNow(context: context) }
        context.close(mode: mode, promise: promise)
    }

    private func flushNow(context: ChannelHandlerContext) {
        unflushed = 0
        context.flush()
    }
}
