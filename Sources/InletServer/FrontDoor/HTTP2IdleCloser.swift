import NIOCore

/// Closes an HTTP/2 connection that has had no open stream for the idle timeout plus a grace of
/// the same length, at most ten seconds. NIOHTTP2's connection manager closes idle connections
/// politely (GOAWAY, then PING, then a final GOAWAY once the PING is acknowledged), which a client
/// that never acknowledges (a slowloris holding an unfinished header block) can stall forever;
/// this is the hard stop behind it. `HTTP2RequestHandler`, which knows the open streams, drives
/// it: as a handler of its own it made every frame and stream event pass one more hop.
final class HTTP2IdleCloser {
    private let limit: TimeAmount
    private var timer: Scheduled<Void>?

    init(idleTimeout: TimeAmount) {
        self.limit = idleTimeout + min(idleTimeout, .seconds(10))
    }

    /// The connection has no open stream: it is closed unless one opens within the limit.
    func arm(context: ChannelHandlerContext) {
        timer?.cancel()
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: limit) {
            loopBound.value.close(promise: nil)
        }
    }

    /// A stream opened, or the connection is gone.
    func disarm() {
        timer?.cancel()
        timer = nil
    }
}
