import Logging
import NIOCore

/// One Redis connection: commands go out as they are written (so they pipeline), replies come back
/// through the hiredis decoder and complete the commands' promises in order.
///
/// A single timer covers every command: it is armed for the oldest waiting command and, when it
/// fires, fails the commands whose deadline has passed and re-arms for the next.
final class RedisChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = RedisCommand
    typealias OutboundOut = ByteBuffer

    private var state = RedisConnectionStateMachine()
    private var decoder: RESPReplyDecoder
    private let commandTimeout: TimeAmount
    private var timer: Scheduled<Void>?
    private let logger: Logger

    init(commandTimeout: TimeAmount, maximumReplyBytes: Int, logger: Logger) {
        self.commandTimeout = commandTimeout
        self.decoder = RESPReplyDecoder(maximumReplyBytes: maximumReplyBytes)
        self.logger = logger
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let command = unwrapOutboundIn(data)
        let deadline = context.eventLoop.now + commandTimeout
        switch state.enqueue(command.promise, deadline: deadline) {
        case .write:
            if timer == nil { armTimer(context: context, deadline: deadline) }
            context.write(wrapOutboundOut(command.encoded), promise: promise)
        case .fail(let commandPromise, let error):
            commandPromise.fail(error)
            promise?.fail(error)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        do {
            try decoder.feed(unwrapInboundIn(data))
            while let value = try decoder.next() {
                switch state.replyReceived(value) {
                case .succeed(let promise, let value):
                    promise.succeed(value)
                case .discard:
                    break
                case .closeConnection(let error):
                    throw error
                }
            }
        } catch {
            fail(context: context, error: error as? RedisClientError ?? RedisClientError(.protocolError, "\(error)"))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(RedisClientError(.connectionClosed))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context: context, error: error as? RedisClientError ?? RedisClientError(.connectionClosed, "\(error)"))
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        failAll(RedisClientError(.connectionClosed))
    }

    private func fail(context: ChannelHandlerContext, error: RedisClientError) {
        logger.warning("redis connection dropped", metadata: ["error": "\(error)"])
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: RedisClientError) {
        timer?.cancel()
        timer = nil
        for promise in state.closed(error) {
            promise.fail(error)
        }
    }

    private func armTimer(context: ChannelHandlerContext, deadline: NIODeadline) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = loopBound.value
            handler.timerFired(context: context)
        }
    }

    private func timerFired(context: ChannelHandlerContext) {
        timer = nil
        let action = state.timerFired(now: context.eventLoop.now)
        for promise in action.expired {
            promise.fail(RedisClientError(.commandTimeout))
        }
        if let next = action.nextDeadline {
            armTimer(context: context, deadline: next)
        }
    }
}
