import Logging
import NIOCore
import NIOHTTP1

/// Serves one HTTP/1.1 connection or one HTTP/2 stream (behind `HTTP2FramePayloadToHTTP1ServerCodec`):
/// routes the head, enforces the body limit while the body streams in (`413` before it has all
/// arrived), inflates gzip within that limit, times out a body that stops making progress (`408`),
/// then hands the request to its endpoint and writes the answer. Everything runs on the channel's
/// event loop: no task, no thread hop.
final class RequestHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = Never
    typealias OutboundOut = HTTPServerResponsePart

    struct Configuration: Sendable {
        var bodyTimeout: TimeAmount
        /// HTTP/1.1 connections must be closed after an early answer, since the rest of the body is unread.
        var isHTTP1: Bool
    }

    private enum State {
        case idle
        case receiving(Receiving)
        /// The endpoint is working; nothing more is read for this request.
        case responding
        /// An early answer was sent; the rest of the request is read and dropped.
        case discarding
        /// The body streams to a `BodyConsumer`, read only as fast as it consumes.
        case streaming(StreamingUpload)
    }

    private struct Receiving {
        var head: HTTPRequestHead
        var target: RouteTarget
        var requestId: String
        var body: [UInt8]
        var inflater: GzipInflater?
        var startedAt: NIODeadline
    }

    private var state = State.idle
    private var bodyTimer: Scheduled<Void>?
    /// A `read` held back while a streaming consumer catches up.
    private var readPending = false
    private let router: any Router
    private let configuration: Configuration
    private let metrics: RequestMetrics
    private let logger: Logger

    init(router: any Router, configuration: Configuration, metrics: RequestMetrics, logger: Logger) {
        self.router = router
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            receiveHead(head, context: context)
        case .body(var buffer):
            receiveBody(&buffer, context: context)
        case .end:
            receiveEnd(context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        bodyTimer?.cancel()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .streaming(let upload) = state, !upload.finished {
            upload.finished = true
            upload.consumer?.abort(reason: "client disconnected")
        }
        bodyTimer?.cancel()
        context.fireChannelInactive()
    }

    /// Back-pressure: while a streaming consumer is busy, the socket (or HTTP/2 stream) is not read,
    /// so TCP and HTTP/2 flow control slow the client down instead of memory filling up.
    func read(context: ChannelHandlerContext) {
        if case .streaming(let upload) = state, upload.isBusy {
            readPending = true
            return
        }
        context.read()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Malformed HTTP/1 is answered by NIO's error handler; here a broken stream or connection just ends.
        logger.debug("request channel error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    // MARK: - Receiving

    private func receiveHead(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        context.triggerUserOutboundEvent(RequestPhaseEvent.headReceived, promise: nil)
        let requestId = Self.requestId(from: head.headers)
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        guard let target = router.route(method: head.method.rawValue, path: path) else {
            state = .discarding
            let error = InletErrorBody.render(status: 404, code: "not_found", message: "no such endpoint")
            send(.json(.notFound, error), requestId: requestId, label: "unknown", startedAt: .now(), closeAfter: !head.isKeepAlive, context: context)
            return
        }
        if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > target.maxBodyBytes,
            !head.headers.contains(name: "content-encoding")
        {
            state = .discarding
            sendEarly(status: 413, code: "too_large", message: "body exceeds \(target.maxBodyBytes) bytes",
                      requestId: requestId, label: target.label, context: context)
            return
        }
        var inflater: GzipInflater?
        if let encoding = head.headers.first(name: "content-encoding")?.lowercased(), encoding != "identity" {
            guard encoding == "gzip", target.acceptsGzip else {
                state = .discarding
                sendEarly(status: 415, code: "unsupported_encoding", message: "content-encoding \(encoding) is not accepted",
                          requestId: requestId, label: target.label, context: context)
                return
            }
            inflater = GzipInflater(limit: target.maxBodyBytes)
        }
        if let streaming = target.streaming {
            startStreaming(head: head, target: target, endpoint: streaming, requestId: requestId, inflater: inflater, context: context)
            return
        }
        state = .receiving(Receiving(head: head, target: target, requestId: requestId, body: [],
                                     inflater: inflater, startedAt: .now()))
        armBodyTimer(context: context)
    }

    private func receiveBody(_ buffer: inout ByteBuffer, context: ChannelHandlerContext) {
        if case .streaming(let upload) = state {
            receiveStreamedBody(buffer, upload: upload, context: context)
            return
        }
        guard case .receiving(var receiving) = state else { return }
        state = .responding  // placeholder while `receiving` is mutated, so the array is not copied
        let limit = receiving.target.maxBodyBytes
        var tooLarge = false
        var corrupt = false
        buffer.withUnsafeReadableBytes { bytes in
            if let inflater = receiving.inflater {
                do throws(GzipInflater.Failure) {
                    try inflater.inflate(bytes, into: &receiving.body)
                } catch {
                    if error == .tooLarge { tooLarge = true } else { corrupt = true }
                }
            } else if receiving.body.count + bytes.count > limit {
                tooLarge = true
            } else {
                receiving.body.append(contentsOf: bytes)
            }
        }
        if tooLarge || corrupt {
            state = .discarding
            bodyTimer?.cancel()
            if tooLarge {
                sendEarly(status: 413, code: "too_large", message: "body exceeds \(limit) bytes",
                          requestId: receiving.requestId, label: receiving.target.label, context: context)
            } else {
                sendEarly(status: 400, code: "invalid_gzip", message: "body is not valid gzip",
                          requestId: receiving.requestId, label: receiving.target.label, context: context)
            }
            return
        }
        state = .receiving(receiving)
        armBodyTimer(context: context)
    }

    private func receiveEnd(context: ChannelHandlerContext) {
        bodyTimer?.cancel()
        bodyTimer = nil
        switch state {
        case .discarding:
            state = .idle
            return
        case .idle, .responding:
            return
        case .streaming(let upload):
            upload.endReceived = true
            pump(upload, context: context)
        case .receiving(let receiving):
            state = .responding
            if let inflater = receiving.inflater {
                do {
                    try inflater.finish()
                } catch {
                    state = .idle
                    sendEarly(status: 400, code: "invalid_gzip", message: "body is not valid gzip",
                              requestId: receiving.requestId, label: receiving.target.label, context: context, close: false)
                    return
                }
            }
            let request = InletRequest(
                method: receiving.head.method, uri: receiving.head.uri, headers: receiving.head.headers,
                body: receiving.body, requestId: receiving.requestId,
                remoteIP: context.channel.remoteAddress?.ipAddress ?? context.channel.parent?.remoteAddress?.ipAddress
            )
            let label = receiving.target.label
            let startedAt = receiving.startedAt
            let requestId = receiving.requestId
            let keepAlive = receiving.head.isKeepAlive
            receiving.target.endpoint.respond(to: request, on: context.eventLoop)
                .hop(to: context.eventLoop)
                .assumeIsolated()
                .whenComplete { result in
                    let response: InletResponse
                    switch result {
                    case .success(let answer):
                        response = answer
                    case .failure(let error):
                        self.logger.error("endpoint failed", metadata: ["request-id": "\(requestId)", "error": "\(error)"])
                        response = .json(.internalServerError, InletErrorBody.render(status: 500, code: "internal", message: "internal error"))
                    }
                    self.state = .idle
                    self.send(response, requestId: requestId, label: label, startedAt: startedAt, closeAfter: !keepAlive, context: context)
                }
        }
    }

    // MARK: - Answering

    /// An answer before the body has fully arrived. On HTTP/1.1 the connection closes after it,
    /// because the unread rest of the body would otherwise be taken for the next request.
    func sendEarly(status: Int, code: String, message: String, requestId: String, label: String,
                           context: ChannelHandlerContext, close: Bool = true) {
        let body = InletErrorBody.render(status: status, code: code, message: message)
        send(.json(HTTPResponseStatus(statusCode: status), body), requestId: requestId, label: label,
             startedAt: .now(), closeAfter: close, context: context)
    }

    func send(_ response: InletResponse, requestId: String, label: String, startedAt: NIODeadline,
                      closeAfter: Bool, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.reserveCapacity(response.headers.count + 3)
        for (name, value) in response.headers { headers.add(name: name, value: value) }
        // RFC 9110 §8.6: no Content-Length on 1xx or 204 answers.
        if response.status.code >= 200, response.status != .noContent {
            headers.add(name: "content-length", value: String(response.body.count))
        }
        headers.add(name: "x-request-id", value: requestId)
        let close = closeAfter && configuration.isHTTP1
        if close { headers.add(name: "connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: response.status, headers: headers))), promise: nil)
        if !response.body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))), promise: nil)
        }
        let done = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: done)
        context.triggerUserOutboundEvent(RequestPhaseEvent.responseComplete, promise: nil)
        metrics.record(route: label, status: Int(response.status.code), since: startedAt)
        if closeAfter {
            // HTTP/1.1: the connection ends here. HTTP/2: the stream is reset with NO_ERROR, which
            // tells the client to stop sending its body and still read this answer.
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            let isHTTP1 = configuration.isHTTP1
            done.futureResult.whenComplete { _ in
                if isHTTP1 {
                    loopBound.value.close(promise: nil)
                } else {
                    loopBound.value.triggerUserOutboundEvent(EarlyAnswerReset.Request(), promise: nil)
                }
            }
        }
    }

    func armBodyTimer(context: ChannelHandlerContext) {
        bodyTimer?.cancel()
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        bodyTimer = context.eventLoop.scheduleTask(in: configuration.bodyTimeout) {
            let (handler, context) = loopBound.value
            handler.bodyTimedOut(context: context)
        }
    }

    private func bodyTimedOut(context: ChannelHandlerContext) {
        if case .streaming(let upload) = state, !upload.isBusy {
            state = .discarding
            upload.finished = true
            upload.consumer?.abort(reason: "request body stopped arriving")
            sendEarly(status: 408, code: "request_timeout", message: "request body stopped arriving",
                      requestId: upload.requestId, label: upload.label, context: context)
            return
        }
        guard case .receiving(let receiving) = state else { return }
        state = .discarding
        logger.info("request body timed out", metadata: ["request-id": "\(receiving.requestId)"])
        sendEarly(status: 408, code: "request_timeout", message: "request body stopped arriving",
                  requestId: receiving.requestId, label: receiving.target.label, context: context)
    }

    func setStreaming(_ upload: StreamingUpload) {
        state = .streaming(upload)
    }

    /// After a streamed request's answer: idle when its body had ended, else drop the rest.
    func setIdleOrDiscarding(endReceived: Bool) {
        state = endReceived ? .idle : .discarding
    }

    func cancelBodyTimer() {
        bodyTimer?.cancel()
        bodyTimer = nil
    }

    func resumeReading(context: ChannelHandlerContext) {
        if readPending {
            readPending = false
            context.read()
        }
    }

    /// The client's `X-Request-Id` when it is sane (short, printable), else a new one.
    static func requestId(from headers: HTTPHeaders) -> String {
        if let given = headers.first(name: "x-request-id"), !given.isEmpty, given.utf8.count <= 128,
            given.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        {
            return given
        }
        return RequestID.make()
    }
}

/// Tells the connection-level timers (before the HTTP/1 decoder) where a request is.
enum RequestPhaseEvent: Sendable {
    case headReceived
    case responseComplete
}
