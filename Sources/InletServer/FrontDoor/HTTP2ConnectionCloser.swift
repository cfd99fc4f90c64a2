import NIOCore

/// Ends an HTTP/2 connection politely: a GOAWAY naming the last stream it took (so the client
/// knows every later stream went unprocessed and may be retried), then the close. That happens
/// when the connection has had no open stream for the idle timeout, and when the server drains:
/// at once if no stream is open, else once the last one closes, at the drain deadline at the latest.
///
/// `HTTP2RequestHandler`, which knows the open streams, drives this, and sends the GOAWAY through
/// its HTTP/2 session when told to (`writeGoAway`). A connection stuck in an unfinished header
/// block has no open stream, so it is closed as idle.
///
/// The idle timer is not cancelled when a stream opens and scheduled again when the last one closes:
/// at a low request rate a connection goes idle and busy again with nearly every request, and a
/// schedule plus a cancel each time cost about 6 % of a `GET /ping` (profiled). Instead the idle
/// deadline moves, and the one timer, when it fires, closes the connection only if it is idle and
/// the deadline has passed, and otherwise waits for the deadline or for the next idle period.
final class HTTP2ConnectionCloser {
    private let idleTimeout: TimeAmount
    private let drainDeadline: TimeAmount
    private var idleTimer: Scheduled<Void>?
    /// When the connection will have been idle for the idle timeout; nil while a stream is open.
    private var idleDeadline: NIODeadline?
    private var drainTimer: Scheduled<Void>?
    private var lastStreamID: Int32 = 0
    private var goAwaySent = false
    private(set) var isDraining = false
    /// Queues a GOAWAY `NO_ERROR` naming the given last stream, and writes it out.
    private let writeGoAway: (Int32) -> Void

    init(idleTimeout: TimeAmount, drainDeadline: TimeAmount, writeGoAway: @escaping (Int32) -> Void) {
        self.idleTimeout = idleTimeout
        self.drainDeadline = drainDeadline
        self.writeGoAway = writeGoAway
    }

    /// A stream opened: the connection is not idle, and this is the last stream it took so far.
    func streamOpened(_ streamID: Int32) {
        if streamID > lastStreamID { lastStreamID = streamID }
        idleDeadline = nil
    }

    /// No stream is open (also when the connection starts): close now if draining, else in the
    /// idle timeout unless a stream opens first.
    func noStreamOpen(context: ChannelHandlerContext) {
        if isDraining {
            // The last stream closes while its answer is being written, before the flush that
            // sends it: close on the next tick, or the answer would be dropped with the connection.
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.execute {
                let (closer, context) = loopBound.value
                closer.goAwayAndClose(context: context)
            }
            return
        }
        let deadline = NIODeadline.now() + idleTimeout
        idleDeadline = deadline
        if idleTimer == nil { scheduleIdleTimer(at: deadline, context: context) }
    }

    private func scheduleIdleTimer(at deadline: NIODeadline, context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        idleTimer = context.eventLoop.scheduleTask(deadline: deadline) {
            let (closer, context) = loopBound.value
            closer.idleTimer = nil
            // A stream is open: the next `noStreamOpen` schedules the timer again.
            guard let deadline = closer.idleDeadline else { return }
            if deadline > .now() {
                closer.scheduleIdleTimer(at: deadline, context: context)
            } else {
                closer.goAwayAndClose(context: context)
            }
        }
    }

    /// The server drains: no new stream is taken from here on.
    func drain(context: ChannelHandlerContext, streamsOpen: Bool) {
        guard !isDraining else { return }
        isDraining = true
        guard streamsOpen else {
            goAwayAndClose(context: context)
            return
        }
        sendGoAway(context: context)
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        drainTimer = context.eventLoop.scheduleTask(in: drainDeadline) {
            loopBound.value.close(promise: nil)
        }
    }

    /// The connection is gone.
    func stop() {
        idleTimer?.cancel()
        idleTimer = nil
        idleDeadline = nil
        drainTimer?.cancel()
        drainTimer = nil
    }

    private func goAwayAndClose(context: ChannelHandlerContext) {
        stop()
        sendGoAway(context: context)
        context.close(promise: nil)
    }

    private func sendGoAway(context: ChannelHandlerContext) {
        guard !goAwaySent, context.channel.isActive else { return }
        goAwaySent = true
        writeGoAway(lastStreamID)
    }
}
