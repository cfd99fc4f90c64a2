import NIOCore

/// Turns the flushes a connection receives within one event-loop tick into one, and the writes
/// before it into one buffer. Responses finish when the store answers, outside any read cycle, so
/// without this every response (and every HTTP/2 stream's response) would cost its own TLS record
/// and `write` syscall. Sits right after TLS, so everything above it shares the deferred flush.
///
/// The writes are joined because NIOSSL seals every write it is given as a TLS record of its own.
/// HTTP/2 already writes what its session has to send as one buffer per tick; HTTP/1.1 writes a
/// response's head and body separately. Joined, a flush is one record up to TLS's 16 KiB, whatever
/// the number of writes in it.
final class FlushCoalescingHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    /// Writes larger than this are passed on as they are: copying them would cost more than a record.
    static let joinLimit = 16 * 1024

    private var flushPending = false
    /// The bytes written since the last flush went out, joined.
    private var joined: ByteBuffer?
    /// Whether `joined` is a buffer this handler allocated, so appending to it copies nothing else.
    private var joinedIsOwn = false
    private var promises: [EventLoopPromise<Void>] = []

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .byteBuffer(var buffer) = unwrapOutboundIn(data), buffer.readableBytes <= Self.joinLimit else {
            passJoined(context: context)
            context.write(data, promise: promise)
            return
        }
        if let promise { promises.append(promise) }
        guard var bytes = joined else {
            joined = buffer
            joinedIsOwn = false
            return
        }
        joined = nil  // `bytes` is then the only reference: appending does not copy it again
        if !joinedIsOwn {
            var own = context.channel.allocator.buffer(capacity: max(1024, 2 * (bytes.readableBytes + buffer.readableBytes)))
            own.writeBuffer(&bytes)
            bytes = own
            joinedIsOwn = true
        }
        bytes.writeBuffer(&buffer)
        joined = bytes
    }

    func flush(context: ChannelHandlerContext) {
        guard !flushPending else { return }
        flushPending = true
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let (handler, context) = loopBound.value
            guard handler.flushPending else { return }
            handler.flushPending = false
            handler.passJoined(context: context)
            context.flush()
        }
    }

    /// A close must not overtake a deferred flush: the last response before a GOAWAY or a
    /// `Connection: close` would be dropped with the connection.
    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if flushPending || joined != nil {
            flushPending = false
            passJoined(context: context)
            context.flush()
        }
        context.close(mode: mode, promise: promise)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        passJoined(context: context)
    }

    /// Writes the joined bytes on, with one promise that completes those of the writes they hold.
    private func passJoined(context: ChannelHandlerContext) {
        guard let bytes = joined else { return }
        joined = nil
        var promise: EventLoopPromise<Void>?
        if promises.count == 1 {
            promise = promises[0]
        } else if !promises.isEmpty {
            let waiting = promises
            let all = context.eventLoop.makePromise(of: Void.self)
            all.futureResult.whenComplete { result in
                for each in waiting { each.completeWith(result) }
            }
            promise = all
        }
        promises.removeAll(keepingCapacity: true)
        context.write(wrapOutboundOut(.byteBuffer(bytes)), promise: promise)
    }
}
