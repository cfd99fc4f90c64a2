import Logging
import NIOCore
import NIOHPACK
import NIOHTTP1
import NIOHTTP2

/// Serves every stream of one HTTP/2 connection from the connection's own pipeline: one
/// `RequestExchange` per stream, fed from HEADERS and DATA frames, answered with HEADERS and DATA
/// frames. NIOHTTP2's usual per-stream child channel and HTTP/1 translation cost more than the
/// rest of a small request put together (profiled: half of all samples), so inlet does without
/// them. Without the child channels, inbound flow control is this handler's job: the connection's
/// window is replenished as frames arrive, a stream's only while its exchange wants more, which is
/// how a busy streaming upload slows its client down.
final class HTTP2RequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    /// The open streams, oldest first. An array scanned by id rather than a dictionary: a connection
    /// has at most `maxConcurrentStreams` open, each request looked its stream up three times, and
    /// hashing showed in profiles. A new stream's DATA is found from the end, and the oldest, which
    /// usually closes first, from the start.
    private var streams: [HTTP2StreamExchange] = []
    private var context: ChannelHandlerContext?
    /// The connection's receive window as NIOHTTP2 last reported it. Taken from its events rather
    /// than counted here, because DATA for streams already closed never reaches this handler but
    /// still uses up the window (an early `413` leaves the client's in-flight body behind).
    private var connectionWindow = windowSize
    /// The connection's window (`FrontDoorConfiguration.connectionWindowSize`), given back once half of it is used.
    private let connectionWindowSize: Int
    /// Whether the connection's window has been raised from the protocol's 65,535 to `connectionWindowSize`.
    private var connectionWindowRaised = false
    /// Frames written and not yet flushed (a stream's window update while reading).
    private var unflushed = false
    /// Exchanges that asked to hear when the current read cycle ends (to arm their body timers).
    private var readEndWaiters: [RequestExchange] = []
    private let makeExchange: (HTTP2StreamExchange) -> RequestExchange
    /// Closes the connection when idle or drained.
    private let closer: HTTP2ConnectionCloser
    private(set) lazy var remoteIP: String? = context?.channel.remoteAddress?.ipAddress
    /// The response fields with ever-changing values (see `indexing(of:)`) already sent once on this connection.
    private var changingFieldsSent: UInt8 = 0

    /// A stream's window, advertised in SETTINGS; WINDOW_UPDATE is sent once half of it is used.
    static let windowSize = 65_535

    init(idleTimeout: TimeAmount, drainDeadline: TimeAmount, connectionWindowSize: Int,
         makeExchange: @escaping (HTTP2StreamExchange) -> RequestExchange) {
        // At least the protocol's initial window: the connection's window is only ever raised.
        self.connectionWindowSize = min(max(connectionWindowSize, Self.windowSize), Int(Int32.max))
        self.closer = HTTP2ConnectionCloser(idleTimeout: idleTimeout, drainDeadline: drainDeadline)
        self.makeExchange = makeExchange
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { closer.noStreamOpen(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        detachAll()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        detachAll()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if !connectionWindowRaised { raiseConnectionWindow() }
        switch frame.payload {
        case .headers(let headers):
            if let stream = openStream(frame.streamID) {
                // Trailers: only their END_STREAM matters, once they are well-formed.
                do throws(HTTP2HeaderValidator.Failure) {
                    try HTTP2HeaderValidator.validateTrailers(headers.headers)
                } catch {
                    return refuseMalformed(frame.streamID, error, context: context)
                }
                if headers.endStream { stream.receiveEnd() }
            } else {
                // Once draining, the GOAWAY has named the last stream taken; later ones are not.
                guard !closer.isDraining else { return }
                do throws(HTTP2HeaderValidator.Failure) {
                    try HTTP2HeaderValidator.validateRequest(headers.headers)
                } catch {
                    return refuseMalformed(frame.streamID, error, context: context)
                }
                closer.streamOpened(frame.streamID)
                let stream = HTTP2StreamExchange(streamID: frame.streamID, connection: self)
                stream.exchange = makeExchange(stream)
                streams.append(stream)
                stream.receiveHead(headers.headers, endStream: headers.endStream)
            }
        case .data(let body):
            guard let stream = openStream(frame.streamID), case .byteBuffer(let buffer) = body.data else { return }
            stream.receiveData(buffer, flowControlled: buffer.readableBytes + (body.paddingBytes ?? 0), endStream: body.endStream)
        default:
            break
        }
    }

    /// A malformed header block (RFC 9113 §8.1.1): the stream is reset with PROTOCOL_ERROR, and the
    /// error goes on to `HTTP2ErrorObserver`, which counts it and closes the connection, exactly what
    /// NIOHTTP2 did when it still validated header blocks itself.
    private func refuseMalformed(_ streamID: HTTP2StreamID, _ failure: HTTP2HeaderValidator.Failure, context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(HTTP2Frame(streamID: streamID, payload: .rstStream(.protocolError))), promise: nil)
        context.flush()
        context.fireErrorCaught(failure)
    }

    /// Stream events end here: nothing after this handler wants them (passing them on was two more
    /// hops for every stream). The server's drain arrives here too. The event's type is compared
    /// before each cast, as a failed cast costs a full dynamic cast and a comparison does not; the
    /// checks go by frequency: a small request brings about five window updates (its DATA in, the
    /// answer's DATA out, its close), one stream created and one stream closed.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        let eventType = type(of: event)
        if eventType == NIOHTTP2WindowUpdatedEvent.self, let window = event as? NIOHTTP2WindowUpdatedEvent {
            guard window.streamID == .rootStream, let inbound = window.inboundWindowSize else { return }
            connectionWindow = inbound
            if connectionWindowRaised, connectionWindow <= connectionWindowSize / 2 {
                // The connection's window is always given back at once; streams hold back their own.
                let increment = connectionWindowSize - connectionWindow
                connectionWindow = connectionWindowSize
                context.writeAndFlush(wrapOutboundOut(HTTP2Frame(streamID: .rootStream, payload: .windowUpdate(windowSizeIncrement: increment))),
                                      promise: nil)
            }
        } else if eventType == StreamClosedEvent.self, let closed = event as? StreamClosedEvent {
            if let index = streams.firstIndex(where: { $0.streamID == closed.streamID }) {
                let stream = streams.remove(at: index)
                stream.detach()
                if streams.isEmpty { closer.noStreamOpen(context: context) }
            }
        } else if eventType == NIOHTTP2StreamCreatedEvent.self {
            // The stream's HEADERS, which follow, are what open its exchange.
            return
        } else if event is ChannelShouldQuiesceEvent {
            closer.drain(context: context, streamsOpen: !streams.isEmpty)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    /// Sent with the first frame the client sends (its SETTINGS, after its preface), so NIOHTTP2
    /// has both prefaces behind it; flushed at the end of that read like any other frame.
    private func raiseConnectionWindow() {
        connectionWindowRaised = true
        guard connectionWindowSize > connectionWindow else { return }
        let increment = connectionWindowSize - connectionWindow
        connectionWindow = connectionWindowSize
        write(.windowUpdate(windowSizeIncrement: increment), on: .rootStream)
    }

    private func detachAll() {
        closer.stop()
        readEndWaiters.removeAll()
        let open = streams
        streams.removeAll()
        for stream in open { stream.detach() }
    }

    private func openStream(_ streamID: HTTP2StreamID) -> HTTP2StreamExchange? {
        guard let index = streams.lastIndex(where: { $0.streamID == streamID }) else { return nil }
        return streams[index]
    }

    // MARK: - Used by the streams

    var eventLoop: any EventLoop { context!.eventLoop }
    var allocator: ByteBufferAllocator { context!.channel.allocator }

    func write(_ frame: HTTP2Frame.FramePayload, on streamID: HTTP2StreamID, promise: EventLoopPromise<Void>? = nil) {
        guard let context else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        context.write(wrapOutboundOut(HTTP2Frame(streamID: streamID, payload: frame)), promise: promise)
        unflushed = true
    }

    func flush() {
        unflushed = false
        context?.flush()
    }

    /// How a response field is to be HPACK-coded on this connection. Values that change with every
    /// response (the request id, the rate-limit counters) are not indexed: they would only evict
    /// useful entries. But an unindexed literal can refer to its name only if the name is in a table
    /// already, else the name is Huffman-coded again every time. So each such field is indexed once,
    /// the first time the connection sends it, which puts its name in the dynamic table for the rest.
    /// Should the table evict it later, the encoder simply writes the name out again.
    func indexing(of name: String) -> HPACKIndexing {
        let bit: UInt8
        switch name {
        case "x-request-id": bit = 1
        case "ratelimit-remaining": bit = 2
        case "ratelimit-reset": bit = 4
        case "retry-after": bit = 8
        default: return .indexable
        }
        guard changingFieldsSent & bit == 0 else { return .nonIndexable }
        changingFieldsSent |= bit
        return .indexable
    }

    func callAtReadEnd(_ exchange: RequestExchange) {
        readEndWaiters.append(exchange)
    }

    /// Window updates written while frames were read go out with the read's end.
    func channelReadComplete(context: ChannelHandlerContext) {
        if !readEndWaiters.isEmpty {
            for exchange in readEndWaiters { exchange.readEnded() }
            readEndWaiters.removeAll(keepingCapacity: true)
        }
        if unflushed { flush() }
        context.fireChannelReadComplete()
    }
}
