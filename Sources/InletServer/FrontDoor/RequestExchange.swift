import Logging
import NIOCore
import NIOHTTP1

/// One request and its answer, whatever protocol carried it: routes the head, enforces the body
/// limit while the body streams in (`413` before it has all arrived), inflates gzip within that
/// limit, times out a body that stops making progress (`408`), hands the request to its endpoint
/// and writes the answer through its transport. Everything runs on the connection's event loop:
/// no task, no thread hop. An HTTP/1.1 connection reuses one exchange for its requests in turn;
/// HTTP/2 makes one per stream.
final class RequestExchange {
    struct Configuration: Sendable {
        var bodyTimeout: TimeAmount
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

    /// A request whose body is arriving. A class, so that taking it out of `state` (for every body
    /// chunk, and at the end) costs one retain instead of a copy of every field of its head and
    /// target (those copies showed in profiles), and its body grows in place.
    private final class Receiving {
        let head: RequestHead
        let target: RouteTarget
        var body: [UInt8] = []
        let inflater: GzipInflater?

        init(head: RequestHead, target: RouteTarget, inflater: GzipInflater?) {
            self.head = head
            self.target = target
            self.inflater = inflater
        }
    }

    /// The parts of a request head the exchange keeps.
    struct RequestHead {
        var method: HTTPMethod
        var uri: String
        var headers: HTTPHeaders
        var keepAlive: Bool
        var requestId: String
        var startedAt: NIODeadline
    }

    private var state = State.idle
    private var bodyTimer: Scheduled<Void>?
    private var bodyDeadline = NIODeadline.distantFuture
    /// The transport will call `readEnded()` when the current read cycle ends.
    private var readEndAwaited = false
    /// Cleared when the connection or stream is gone; nothing is written after that.
    private(set) var transport: (any ExchangeTransport)?
    let router: any Router
    let configuration: Configuration
    let metrics: ConnectionRequestMetrics
    let logger: Logger

    init(transport: any ExchangeTransport, router: any Router, configuration: Configuration, metrics: ConnectionRequestMetrics, logger: Logger) {
        self.transport = transport
        self.router = router
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
    }

    /// Whether the transport should hold back the request's next bytes (a streaming consumer is busy).
    var isReadPaused: Bool {
        if case .streaming(let upload) = state { return upload.isBusy }
        return false
    }

    /// Nothing has been answered yet and no endpoint is working on the request, so an error
    /// answer (a malformed request) is the only one the client will get.
    var canAnswerError: Bool {
        switch state {
        case .idle, .receiving: return true
        case .responding, .discarding, .streaming: return false
        }
    }

    /// The connection or stream went away: stop timers, tell a streaming consumer, write nothing more.
    func detach() {
        if case .streaming(let upload) = state, !upload.finished {
            upload.finished = true
            upload.consumer?.abort(reason: "client disconnected")
        }
        bodyTimer?.cancel()
        bodyTimer = nil
        transport = nil
    }

    // MARK: - Receiving

    /// The fields the exchange reads itself, each the first of its name in the head (`nil` when absent).
    struct HeadFields {
        var requestId: String?
        var contentLength: String?
        var contentEncoding: String?

        init(requestId: String?, contentLength: String?, contentEncoding: String?) {
            self.requestId = requestId
            self.contentLength = contentLength
            self.contentEncoding = contentEncoding
        }

        init(_ headers: HTTPHeaders) {
            self.init(requestId: headers.first(name: "x-request-id"), contentLength: headers.first(name: "content-length"),
                      contentEncoding: headers.first(name: "content-encoding"))
        }
    }

    func receiveHead(method: HTTPMethod, uri: String, headers: HTTPHeaders, keepAlive: Bool) {
        receiveHead(method: method, uri: uri, headers: headers, fields: HeadFields(headers), keepAlive: keepAlive)
    }

    /// `fields` as `HeadFields(headers)` would find them: HTTP/2 collects them while it builds
    /// `headers`, which saves three case-insensitive scans of the head per request.
    func receiveHead(method: HTTPMethod, uri: String, headers: HTTPHeaders, fields: HeadFields, keepAlive: Bool) {
        let head = RequestHead(method: method, uri: uri, headers: headers, keepAlive: keepAlive,
                               requestId: Self.requestId(given: fields.requestId), startedAt: .now())
        guard let target = router.route(method: method.rawValue, path: RequestPath.path(of: uri)) else {
            state = .discarding
            answerError(status: 404, code: "not_found", message: "no such endpoint", head: head, label: "unknown", early: false)
            return
        }
        let contentEncoding = fields.contentEncoding
        let declaredLength = fields.contentLength.flatMap(Int.init)
        if let length = declaredLength, length > target.maxBodyBytes, contentEncoding == nil {
            state = .discarding
            answerError(status: 413, code: "too_large", message: "body exceeds \(target.maxBodyBytes) bytes", head: head, label: target.label)
            return
        }
        var inflater: GzipInflater?
        if let encoding = contentEncoding?.lowercased(), encoding != "identity" {
            guard encoding == "gzip", target.acceptsGzip else {
                state = .discarding
                answerError(status: 415, code: "unsupported_encoding", message: "content-encoding \(encoding) is not accepted",
                            head: head, label: target.label)
                return
            }
            inflater = GzipInflater(limit: target.maxBodyBytes)
        }
        if let streaming = target.streaming {
            startStreaming(head: head, target: target, endpoint: streaming, inflater: inflater)
            return
        }
        let receiving = Receiving(head: head, target: target, inflater: inflater)
        if inflater == nil, let length = declaredLength, length > 0 {
            // Grown chunk by chunk, a 33 KB batch body was reallocated and copied three times.
            // Never past the route's limit: with `content-encoding: identity` the declared length
            // was not checked against it above, and it is the client's word.
            receiving.body.reserveCapacity(min(length, target.maxBodyBytes))
        }
        state = .receiving(receiving)
        bodyProgressed()
    }

    func receiveBody(_ buffer: ByteBuffer) {
        if case .streaming(let upload) = state {
            receiveStreamedBody(buffer, upload: upload)
            return
        }
        buffer.withUnsafeReadableBytes { receiveBody(bytes: $0) }
    }

    /// Body bytes lent for this call only (HTTP/2's DATA, where nghttp2 decoded it): a buffered
    /// body is appended from them directly, without a `ByteBuffer` made for each chunk.
    func receiveBody(bytes: UnsafeRawBufferPointer) {
        if case .streaming(let upload) = state {
            guard let allocator = transport?.allocator else { return }
            receiveStreamedBody(allocator.buffer(bytes: bytes), upload: upload)
            return
        }
        guard case .receiving(let receiving) = state else { return }
        let limit = receiving.target.maxBodyBytes
        var failure: GzipInflater.Failure?
        if let inflater = receiving.inflater {
            do throws(GzipInflater.Failure) {
                try inflater.inflate(bytes, into: &receiving.body)
            } catch {
                failure = error
            }
        } else if receiving.body.count + bytes.count > limit {
            failure = .tooLarge
        } else {
            receiving.body.append(contentsOf: bytes)
        }
        if let failure {
            state = .discarding
            cancelBodyTimer()
            answerBodyFailure(failure, head: receiving.head, target: receiving.target, early: true)
            return
        }
        bodyProgressed()
    }

    func receiveEnd() {
        cancelBodyTimer()
        switch state {
        case .discarding:
            state = .idle
        case .idle, .responding:
            return
        case .streaming(let upload):
            upload.endReceived = true
            pump(upload)
        case .receiving(let receiving):
            state = .responding
            if let inflater = receiving.inflater {
                do throws(GzipInflater.Failure) {
                    try inflater.finish()
                } catch {
                    state = .idle
                    answerBodyFailure(error, head: receiving.head, target: receiving.target, early: false)
                    return
                }
            }
            respond(receiving)
        }
    }

    private func respond(_ receiving: Receiving) {
        let head = receiving.head
        let request = InletRequest(method: head.method, uri: head.uri, headers: head.headers, body: receiving.body,
                                   requestId: head.requestId, remoteIP: transport?.remoteIP,
                                   recentCredential: transport?.recentCredential)
        let label = receiving.target.label
        guard let eventLoop = transport?.eventLoop else { return }
        let exchange = NIOLoopBound(self, eventLoop: eventLoop)
        // The answer may come before `respond` returns (a cached key, a refusal): `state` is
        // already `.responding`, and nothing below this call touches the exchange again.
        receiving.target.endpoint.respond(to: request, on: eventLoop) { result in
            // Endpoints answer on `eventLoop`; one that did not is moved there rather than trusted.
            guard eventLoop.inEventLoop else {
                return eventLoop.execute { exchange.value.answer(result, head: head, label: label) }
            }
            exchange.value.answer(result, head: head, label: label)
        }
    }

    /// The endpoint's answer, or the plain `500` for its internal error.
    private func answer(_ result: Result<InletResponse, any Error>, head: RequestHead, label: String) {
        guard case .responding = state else {
            // Only a second answer for the same request finds another state: it is dropped.
            assertionFailure("endpoint answered request \(head.requestId) twice")
            return
        }
        let response: InletResponse
        switch result {
        case .success(let answer):
            response = answer
        case .failure(let error):
            logger.error("endpoint failed", metadata: ["request-id": "\(head.requestId)", "error": "\(error)"])
            response = .json(.internalServerError, InletErrorBody.render(status: 500, code: "internal", message: "internal error"))
        }
        state = .idle
        send(response, head: head, label: label, early: false)
    }

    // MARK: - Answering

    private func answerBodyFailure(_ failure: GzipInflater.Failure, head: RequestHead, target: RouteTarget, early: Bool) {
        switch failure {
        case .tooLarge:
            answerError(status: 413, code: "too_large", message: "body exceeds \(target.maxBodyBytes) bytes", head: head,
                        label: target.label, early: early)
        case .corrupt:
            answerError(status: 400, code: "invalid_gzip", message: "body is not valid gzip", head: head, label: target.label, early: early)
        }
    }

    /// An error answer; `early` when it goes out before the body has fully arrived.
    func answerError(status: Int, code: String, message: String, head: RequestHead, label: String, early: Bool = true) {
        let body = InletErrorBody.render(status: status, code: code, message: message)
        send(.json(HTTPResponseStatus(statusCode: status), body), head: head, label: label, early: early)
    }

    func send(_ response: InletResponse, head: RequestHead, label: String, early: Bool) {
        transport?.writeResponse(response, requestId: head.requestId, early: early, close: early || !head.keepAlive)
        metrics.record(route: label, status: Int(response.status.code), since: head.startedAt)
    }

    // MARK: - Body timer

    /// The head or body bytes arrived during a read: the deadline moves when that read ends.
    private func bodyProgressed() {
        guard !readEndAwaited, let transport else { return }
        readEndAwaited = true
        transport.callAtReadEnd(self)
    }

    /// The read that brought progress has ended. A request still incomplete now gets its deadline,
    /// and its timer the first time; one that arrived whole within the read (most do) never
    /// schedules one: scheduling and cancelling a timer per request showed in profiles.
    func readEnded() {
        readEndAwaited = false
        guard case .receiving = state else { return }
        armBodyTimer()
    }

    /// Moves the body's deadline. The timer is scheduled once per request and, when it fires early
    /// because the body made progress since, re-arms itself for the rest: scheduling and cancelling
    /// a task for every chunk showed in profiles.
    func armBodyTimer() {
        bodyDeadline = .now() + configuration.bodyTimeout
        guard bodyTimer == nil, let eventLoop = transport?.eventLoop else { return }
        scheduleBodyTimer(at: bodyDeadline, on: eventLoop)
    }

    private func scheduleBodyTimer(at deadline: NIODeadline, on eventLoop: any EventLoop) {
        let loopBound = NIOLoopBound(self, eventLoop: eventLoop)
        bodyTimer = eventLoop.scheduleTask(deadline: deadline) {
            let exchange = loopBound.value
            exchange.bodyTimer = nil
            if exchange.bodyDeadline > .now() {
                exchange.scheduleBodyTimer(at: exchange.bodyDeadline, on: eventLoop)
            } else {
                exchange.bodyTimedOut()
            }
        }
    }

    func cancelBodyTimer() {
        bodyTimer?.cancel()
        bodyTimer = nil
    }

    private func bodyTimedOut() {
        if case .streaming(let upload) = state, !upload.isBusy {
            state = .discarding
            upload.finished = true
            upload.consumer?.abort(reason: "request body stopped arriving")
            answerError(status: 408, code: "request_timeout", message: "request body stopped arriving", head: upload.head, label: upload.label)
            return
        }
        guard case .receiving(let receiving) = state else { return }
        state = .discarding
        logger.info("request body timed out", metadata: ["request-id": "\(receiving.head.requestId)"])
        answerError(status: 408, code: "request_timeout", message: "request body stopped arriving",
                    head: receiving.head, label: receiving.target.label)
    }

    // MARK: - Streaming state

    func setStreaming(_ upload: StreamingUpload) {
        state = .streaming(upload)
    }

    /// After a streamed request's answer: idle when its body had ended, else drop the rest.
    func setIdleOrDiscarding(endReceived: Bool) {
        state = endReceived ? .idle : .discarding
    }

    /// The client's `X-Request-Id` (`given`) when it is sane (short, printable), else a new one.
    static func requestId(given: String?) -> String {
        if let given, !given.isEmpty, given.utf8.count <= 128,
            given.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        {
            return given
        }
        return RequestID.next()
    }
}
