import CNghttp2
import Logging
import Metrics
import NIOCore

/// Serves one HTTP/2 connection with an nghttp2 server session: the decrypted bytes go into the
/// session, which calls back with each stream's header fields, DATA and close (see
/// `HTTP2RequestHandler+Callbacks`); each stream gets a `RequestExchange`; answers are submitted to
/// the session, and what it has to send goes out once per read cycle or event-loop tick, as one write.
///
/// nghttp2 does the framing, HPACK, the stream states, the RFC 9113 header checks and flow-control
/// accounting in C. swift-nio-http2 did the same here through its frame objects and state machines,
/// and those were the largest cost of a small request left (docs/benchmarks.md, ninth session).
/// Window updates are this handler's call (nghttp2's automatic ones are off): the connection's
/// window is given back as DATA arrives, a stream's only while its exchange wants more, which is
/// how a busy streaming upload slows its client down.
///
/// The abuse limits nghttp2 does not take as settings are counted here, in its callbacks: RST_STREAM
/// and control frames per window, CONTINUATION frames per header block. Past one, the connection
/// ends with GOAWAY `ENHANCE_YOUR_CALM`; a malformed frame or header block ends it with
/// `PROTOCOL_ERROR` after nghttp2's own RST_STREAM or GOAWAY.
final class HTTP2RequestHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// A stream's window, advertised in SETTINGS; WINDOW_UPDATE is sent once half of it is used.
    static let windowSize = 65_535

    /// `nghttp2_session *`; nil before the handler is added and after it is removed.
    private var session: OpaquePointer?
    private var context: ChannelHandlerContext?
    /// The HTTP/2 limits and timeouts.
    let limits: FrontDoorConfiguration
    /// The open streams, oldest first. An array scanned by id rather than a dictionary: a connection
    /// has at most `maxConcurrentStreams` open, and hashing showed in profiles. A new stream is found
    /// from the end, and the oldest, which usually closes first, from the start.
    private(set) var streams: [HTTP2StreamExchange] = []
    /// The stream whose header block nghttp2 is decoding (its fields arrive one by one).
    var headerBlockStream: HTTP2StreamExchange? {
        didSet { headerBlockStreamReference = headerBlockStream.map { Unmanaged.passUnretained($0) } }
    }
    /// `headerBlockStream`, unretained, for `withHeaderBlockStream`.
    private var headerBlockStreamReference: Unmanaged<HTTP2StreamExchange>?
    /// Exchanges that asked to hear when the current read cycle ends (to arm their body timers).
    private var readEndWaiters: [RequestExchange] = []
    private let makeExchange: (HTTP2StreamExchange) -> RequestExchange
    /// Closes the connection when idle or drained.
    private(set) var closer: HTTP2ConnectionCloser!
    private let protocolErrors: Counter
    private let logger: Logger
    private(set) lazy var remoteIP: String? = context?.channel.remoteAddress?.ipAddress
    /// Shared by the connection's streams (see `RecentCredential`).
    let recentCredential = RecentCredential()
    /// Strings of the header fields the connection's recent requests carried, reused by the next.
    var recentFields = RecentFieldStrings()

    /// A send is scheduled for the end of this event-loop tick.
    private var sendScheduled = false
    /// The connection is ending: nothing more is read.
    private var ending = false
    /// Set by a callback that found the client misbehaving: the GOAWAY error code to end with.
    var endWith: UInt32?

    // Abuse counters (see the type's comment).
    var continuationFrames = 0
    var resetFrames: HTTP2FrameRateLimit
    var controlFrames: HTTP2FrameRateLimit

    /// The response fields with ever-changing values (see `indexes(_:)`) already sent once on this connection.
    private var changingFieldsSent: UInt8 = 0
    /// Reused for every answer: the bytes of its fields, and nghttp2's name/value pairs pointing into them.
    private var fieldBytes: [UInt8] = []
    private var fieldSpans: [(name: Range<Int>, value: Range<Int>, flags: UInt8)] = []
    private var pairs: [nghttp2_nv] = []

    init(limits: FrontDoorConfiguration, protocolErrors: Counter, logger: Logger, makeExchange: @escaping (HTTP2StreamExchange) -> RequestExchange) {
        self.limits = limits
        self.protocolErrors = protocolErrors
        self.logger = logger
        self.makeExchange = makeExchange
        self.resetFrames = HTTP2FrameRateLimit(maximum: limits.maxResetStreams, window: limits.abuseWindow)
        self.controlFrames = HTTP2FrameRateLimit(maximum: limits.maxControlFrames, window: limits.abuseWindow)
        fieldBytes.reserveCapacity(256)
        fieldSpans.reserveCapacity(8)
        pairs.reserveCapacity(8)
        // Unowned: this handler owns the closer.
        self.closer = HTTP2ConnectionCloser(idleTimeout: limits.idleTimeout, drainDeadline: limits.drainDeadline) { [unowned self] lastStreamID in
            self.writeGoAway(lastStreamID: lastStreamID)
        }
    }

    deinit {
        if let session { nghttp2_session_del(session) }
    }

    // MARK: - Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        session = Self.makeSession(for: self)
        guard let session else {
            logger.error("could not create an HTTP/2 session")
            context.close(promise: nil)
            return
        }
        // The server's preface: its SETTINGS, then the connection's window raised at once (nginx
        // uses 2^31 − 1; each stream's own window already bounds what a client can make us buffer).
        // SETTINGS_NO_RFC7540_PRIORITIES (RFC 9218): answers here are a few hundred bytes, so an
        // RFC 7540 dependency tree would order nothing; without it nghttp2 keeps no tree for a
        // client to reshape and no closed streams in it. PRIORITY frames are still read and counted.
        var settings = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue), value: UInt32(limits.maxConcurrentStreams)),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue), value: UInt32(limits.maxHeaderListSize)),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: UInt32(Self.windowSize)),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES.rawValue), value: 1),
        ]
        nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &settings, settings.count)
        let window = Int32(min(max(limits.connectionWindowSize, Self.windowSize), Int(Int32.max)))
        nghttp2_session_set_local_window_size(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, window)
        sendPending()
        if context.channel.isActive { closer.noStreamOpen(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        detachAll()
        if let session { nghttp2_session_del(session) }
        session = nil
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        ending = true
        detachAll()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !ending, let session else { return }
        let buffer = unwrapInboundIn(data)
        let result = buffer.withUnsafeReadableBytes { bytes in
            nghttp2_session_mem_recv(session, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count)
        }
        if result < 0 {
            // A callback stopped the session for abuse (`endWith` is set), or nghttp2 found the
            // connection broken beyond a GOAWAY of its own (a bad preface, a flood of its own counting).
            logger.debug("HTTP/2 connection error", metadata: ["error": "\(String(cString: nghttp2_strerror(Int32(result))))"])
            end(with: endWith ?? NGHTTP2_PROTOCOL_ERROR.rawValue)
        }
    }

    /// Window updates, answers and acknowledgements queued while frames were read go out with the read's end.
    func channelReadComplete(context: ChannelHandlerContext) {
        if !readEndWaiters.isEmpty {
            for exchange in readEndWaiters { exchange.readEnded() }
            readEndWaiters.removeAll(keepingCapacity: true)
        }
        if let code = endWith, !ending {
            end(with: code)
        } else {
            sendPending()
        }
        context.fireChannelReadComplete()
    }

    /// The server's drain arrives here; other events pass on.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            closer.drain(context: context, streamsOpen: !streams.isEmpty)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("HTTP/2 connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    // MARK: - Streams, from the callbacks

    /// A request's header block is complete: its stream is open and gets its exchange.
    func open(_ stream: HTTP2StreamExchange) {
        closer.streamOpened(stream.streamID)
        stream.exchange = makeExchange(stream)
        streams.append(stream)
    }

    /// Runs `body` on the stream whose header block is being read, if it is `streamID`'s; `nil`
    /// otherwise. Borrowed, not retained (a retain and a release per field of every request):
    /// `headerBlockStream` holds it, and `body` must not clear that.
    @inline(__always)
    func withHeaderBlockStream<Result>(_ streamID: Int32, _ body: (HTTP2StreamExchange) -> Result) -> Result? {
        headerBlockStreamReference?._withUnsafeGuaranteedRef { stream in
            stream.streamID == streamID ? body(stream) : nil
        }
    }

    func stream(_ streamID: Int32) -> HTTP2StreamExchange? {
        guard let index = streams.lastIndex(where: { $0.streamID == streamID }) else { return nil }
        return streams[index]
    }

    func streamClosed(_ streamID: Int32) {
        // Also a stream closed in the middle of its request's header block, never opened here.
        if headerBlockStream?.streamID == streamID { headerBlockStream = nil }
        guard let index = streams.firstIndex(where: { $0.streamID == streamID }) else { return }
        let stream = streams.remove(at: index)
        stream.detach()
        if streams.isEmpty, let context, !ending { closer.noStreamOpen(context: context) }
    }

    /// Found a reason to end the connection inside a callback; it ends when the read does.
    func endAfterRead(with code: nghttp2_error_code) {
        if endWith == nil { endWith = code.rawValue }
    }

    private func detachAll() {
        closer.stop()
        readEndWaiters.removeAll()
        headerBlockStream = nil
        let open = streams
        streams.removeAll()
        for stream in open { stream.detach() }
    }

    // MARK: - Sending

    var eventLoop: any EventLoop { context!.eventLoop }
    var allocator: ByteBufferAllocator { context!.channel.allocator }

    /// Queues an answer on the stream: its HEADERS, and DATA read from the stream as the windows allow.
    func submitResponse(on stream: HTTP2StreamExchange, _ response: InletResponse, requestId: String) {
        guard let session, !ending else { return }
        fieldBytes.removeAll(keepingCapacity: true)
        fieldSpans.removeAll(keepingCapacity: true)
        addField(":status", Self.statusText(response.status.code), flags: 0)
        response.forEachHeader { name, value in
            let name = Self.lowercased(name)
            // A field HTTP/2 cannot carry is left out, not sent for the client to choke on.
            guard HTTP2ResponseFieldCheck.isValid(name: name, value: value) else { return }
            addField(name, value, flags: indexes(name) ? 0 : UInt8(NGHTTP2_NV_FLAG_NO_INDEX.rawValue))
        }
        if ResponseHeaders.needsContentLength(response.status) {
            addField("content-length", String(response.body.count), flags: 0)
        }
        addField("x-request-id", requestId, flags: indexes("x-request-id") ? 0 : UInt8(NGHTTP2_NV_FLAG_NO_INDEX.rawValue))
        let result = fieldBytes.withUnsafeMutableBufferPointer { bytes in
            let base = bytes.baseAddress!
            // nghttp2 copies the pairs it is given, so they only need to live through the call.
            pairs.removeAll(keepingCapacity: true)
            for span in fieldSpans {
                pairs.append(nghttp2_nv(name: base + span.name.lowerBound, value: base + span.value.lowerBound,
                                        namelen: span.name.count, valuelen: span.value.count, flags: span.flags))
            }
            if response.body.isEmpty {
                return nghttp2_submit_response(session, stream.streamID, &pairs, pairs.count, nil)
            }
            var provider = nghttp2_data_provider()
            provider.source.ptr = Unmanaged.passUnretained(stream).toOpaque()
            provider.read_callback = Self.readResponseBody
            return nghttp2_submit_response(session, stream.streamID, &pairs, pairs.count, &provider)
        }
        if result != 0 {
            // The stream is gone already (reset by the client): nothing to answer.
            logger.debug("HTTP/2 answer not submitted", metadata: ["error": "\(String(cString: nghttp2_strerror(result)))"])
            return
        }
        requestSend()
    }

    private func addField(_ name: String, _ value: String, flags: UInt8) {
        let nameStart = fieldBytes.count
        fieldBytes.append(contentsOf: name.utf8)
        let valueStart = fieldBytes.count
        fieldBytes.append(contentsOf: value.utf8)
        fieldSpans.append((nameStart..<valueStart, valueStart..<fieldBytes.count, flags))
    }

    /// Gives `count` bytes of a stream's window back to its client.
    func giveBack(_ count: Int, on streamID: Int32, send: Bool) {
        guard let session, !ending else { return }
        nghttp2_session_consume_stream(session, streamID, count)
        if send { requestSend() }
    }

    private func writeGoAway(lastStreamID: Int32) {
        guard let session, !ending else { return }
        nghttp2_submit_goaway(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), lastStreamID, NGHTTP2_NO_ERROR.rawValue, nil, 0)
        sendPending()
    }

    /// Sends what the session has queued at the end of this event-loop tick: the answers the store
    /// confirms together share one write. Answers given during a read usually go out sooner, when
    /// the read cycle ends; the task then finds nothing left, but it is there should a read end
    /// without `channelReadComplete`.
    private func requestSend() {
        guard !sendScheduled, let context else { return }
        sendScheduled = true
        context.eventLoop.assumeIsolated().execute {
            self.sendScheduled = false
            self.sendPending()
        }
    }

    /// Writes and flushes everything the session has to send, as one buffer; closes the connection
    /// once the session wants neither to read nor to write (after a GOAWAY, its streams done).
    private func sendPending() {
        // After the close began the streams are detached: nghttp2 must not read their bodies.
        guard let session, let context, !ending else { return }
        var out: ByteBuffer?
        while true {
            var chunk: UnsafePointer<UInt8>?
            let count = nghttp2_session_mem_send(session, &chunk)
            guard count > 0, let chunk else {
                if count < 0 {
                    logger.debug("HTTP/2 send failed", metadata: ["error": "\(String(cString: nghttp2_strerror(Int32(count))))"])
                    ending = true
                }
                break
            }
            let bytes = UnsafeRawBufferPointer(start: chunk, count: count)
            if out == nil {
                out = context.channel.allocator.buffer(capacity: max(count, 1024))
            }
            out!.writeBytes(bytes)
        }
        if let out {
            context.writeAndFlush(wrapOutboundOut(out), promise: nil)
        }
        if ending || (nghttp2_session_want_read(session) == 0 && nghttp2_session_want_write(session) == 0) {
            ending = true
            context.close(promise: nil)
        }
    }

    /// Ends a connection that broke the protocol or a limit: a GOAWAY with `code`, then the close.
    private func end(with code: UInt32) {
        guard let session, !ending else { return }
        protocolErrors.increment()
        // What nghttp2 queued first (a RST_STREAM naming the malformed stream) goes out before the GOAWAY.
        sendPending()
        nghttp2_session_terminate_session(session, code)
        sendPending()
        ending = true
        context?.close(promise: nil)
    }

    /// How a response field is to be HPACK-coded on this connection: `true` to index it. Values that
    /// change with every response (the request id, the rate-limit counters) are not indexed: they
    /// would only evict useful entries. But an unindexed literal can refer to its name only if the
    /// name is in a table already, else the name is Huffman-coded again every time. So each such
    /// field is indexed once, the first time the connection sends it, which puts its name in the
    /// dynamic table for the rest. Should the table evict it later, the encoder writes the name out again.
    func indexes(_ name: String) -> Bool {
        let bit: UInt8
        switch name {
        case "x-request-id": bit = 1
        case "ratelimit-remaining": bit = 2
        case "ratelimit-reset": bit = 4
        case "retry-after": bit = 8
        default: return true
        }
        guard changingFieldsSent & bit == 0 else { return false }
        changingFieldsSent |= bit
        return true
    }

    func callAtReadEnd(_ exchange: RequestExchange) {
        readEndWaiters.append(exchange)
    }

    /// HTTP/2 field names are lowercase; most of inlet's already are.
    static func lowercased(_ name: String) -> String {
        // Over the contiguous bytes (`withUTF8`): through `UTF8View`'s iterator this was ~0.9 %
        // of track's event loop.
        var name = name
        let hasUppercase = name.withUTF8 { $0.contains { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") } }
        return hasUppercase ? name.lowercased() : name
    }

    /// Literals for the statuses inlet sends, so they cost no conversion.
    private static func statusText(_ code: UInt) -> String {
        switch code {
        case 200: "200"
        case 201: "201"
        case 202: "202"
        case 204: "204"
        case 400: "400"
        case 401: "401"
        case 403: "403"
        case 404: "404"
        case 408: "408"
        case 409: "409"
        case 413: "413"
        case 415: "415"
        case 421: "421"
        case 429: "429"
        case 500: "500"
        case 503: "503"
        default: String(code)
        }
    }
}
