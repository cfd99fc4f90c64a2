import Logging
import NIOCore
import NIOHTTP1

/// Serves the requests of one HTTP/1.1 connection, one at a time, through one `RequestExchange`;
/// writes their answers as HTTP/1 response parts and holds back reads while a streaming consumer
/// is busy, so TCP flow control slows the client down instead of memory filling up.
final class HTTP1RequestHandler: ChannelDuplexHandler, ExchangeTransport {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = Never
    typealias OutboundOut = HTTPServerResponsePart

    private var exchange: RequestExchange?
    private var context: ChannelHandlerContext?
    /// A `read` held back while a streaming consumer catches up.
    private var readPending = false
    /// The exchange asked to hear when the current read cycle ends.
    private var readEndWanted = false
    private let makeExchange: (HTTP1RequestHandler) -> RequestExchange
    private(set) lazy var remoteIP: String? = context?.channel.remoteAddress?.ipAddress
    let recentCredential: RecentCredential? = RecentCredential()

    init(makeExchange: @escaping (HTTP1RequestHandler) -> RequestExchange) {
        self.makeExchange = makeExchange
    }

    var eventLoop: any EventLoop { context!.eventLoop }
    var allocator: ByteBufferAllocator { context!.channel.allocator }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        exchange = makeExchange(self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        exchange?.detach()
        exchange = nil
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        exchange?.detach()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let exchange else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            context.triggerUserOutboundEvent(RequestPhaseEvent.headReceived, promise: nil)
            exchange.receiveHead(method: head.method, uri: head.uri, headers: head.headers, keepAlive: head.isKeepAlive)
        case .body(let buffer):
            exchange.receiveBody(buffer)
        case .end:
            exchange.receiveEnd()
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if readEndWanted {
            readEndWanted = false
            exchange?.readEnded()
        }
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        if exchange?.isReadPaused == true {
            readPending = true
            return
        }
        context.read()
    }

    /// A malformed request gets `400` and the connection closes, as NIO's own error handler would
    /// do, except on a connection that is already gone: NIO's handler answered even then, which
    /// trips an assertion in its pipeline handler when a drained connection closes with half a
    /// request head unread.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        exchange?.logger.debug("HTTP/1 connection error", metadata: ["error": "\(error)"])
        guard error is HTTPParserError, context.channel.isActive, let exchange, exchange.canAnswerError else {
            context.close(promise: nil)
            return
        }
        exchange.detach()
        let body = InletErrorBody.render(status: 400, code: "bad_request", message: "malformed HTTP/1.1 request")
        writeResponse(.json(.badRequest, body), requestId: RequestID.next(), early: true, close: true)
    }

    // MARK: - ExchangeTransport

    func writeResponse(_ response: InletResponse, requestId: String, early: Bool, close: Bool) {
        guard let context else { return }
        var headers = HTTPHeaders()
        headers.reserveCapacity(response.headers.count + 4)
        response.forEachHeader { headers.add(name: $0, value: $1) }
        if ResponseHeaders.needsContentLength(response.status) {
            headers.add(name: "content-length", value: String(response.body.count))
        }
        headers.add(name: "x-request-id", value: requestId)
        if close { headers.add(name: "connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: response.status, headers: headers))), promise: nil)
        if !response.body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))), promise: nil)
        }
        let written = close ? context.eventLoop.makePromise(of: Void.self) : nil
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        context.triggerUserOutboundEvent(RequestPhaseEvent.responseComplete, promise: nil)
        if let written {
            // The unread rest of the body (or the client's `Connection: close`) ends the connection.
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            written.futureResult.whenComplete { _ in loopBound.value.close(promise: nil) }
        }
    }

    func callAtReadEnd(_ exchange: RequestExchange) {
        readEndWanted = true
    }

    func resumeReading() {
        if readPending, let context {
            readPending = false
            context.read()
        }
    }
}

/// Tells the connection-level timers (before the HTTP/1 decoder) where a request is.
enum RequestPhaseEvent: Sendable {
    case headReceived
    case responseComplete
}
