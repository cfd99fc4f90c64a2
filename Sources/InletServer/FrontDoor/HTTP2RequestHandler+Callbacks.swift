import CNghttp2
import NIOCore

/// The nghttp2 server session of a connection, and the callbacks through which it reports what the
/// client sent. nghttp2 calls them synchronously from `nghttp2_session_mem_recv` (and
/// `nghttp2_session_mem_send`, for frames sent and streams closed), on the connection's event loop;
/// `user_data` is the connection's `HTTP2RequestHandler`, which owns the session.
extension HTTP2RequestHandler {
    static func makeSession(for handler: HTTP2RequestHandler) -> OpaquePointer? {
        var callbacks: OpaquePointer?
        guard nghttp2_session_callbacks_new(&callbacks) == 0, let callbacks else { return nil }
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_begin_frame_callback(callbacks, onBeginFrame)
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, onBeginHeaders)
        nghttp2_session_callbacks_set_on_header_callback(callbacks, onHeader)
        nghttp2_session_callbacks_set_on_invalid_header_callback(callbacks, onInvalidHeader)
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, onFrameReceived)
        nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(callbacks, onInvalidFrameReceived)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, onDataChunk)
        nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, onFrameSent)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, onStreamClosed)

        var option: OpaquePointer?
        guard nghttp2_option_new(&option) == 0, let option else { return nil }
        defer { nghttp2_option_del(option) }
        // Windows are given back by this handler (see its comment).
        nghttp2_option_set_no_auto_window_update(option, 1)
        // inlet's own counts end the connection first, with ENHANCE_YOUR_CALM; nghttp2's stay as a backstop.
        nghttp2_option_set_max_continuations(option, handler.limits.maxContinuationFrames + 2)
        let resetBurst = UInt64(max(1000, 2 * handler.limits.maxResetStreams))
        nghttp2_option_set_stream_reset_rate_limit(option, resetBurst, resetBurst)

        var session: OpaquePointer?
        guard nghttp2_session_server_new2(&session, callbacks, Unmanaged.passUnretained(handler).toOpaque(), option) == 0 else {
            return nil
        }
        return session
    }

    /// Runs `body` on the connection's handler, borrowed: the session is the handler's, so it
    /// outlives every callback. Taking it as an ordinary reference made the compiler retain and
    /// release it in each callback, several times per request field and frame.
    @inline(__always)
    private static func withHandler<Result>(_ userData: UnsafeMutableRawPointer?, _ body: (HTTP2RequestHandler) -> Result) -> Result {
        Unmanaged<HTTP2RequestHandler>.fromOpaque(userData!)._withUnsafeGuaranteedRef(body)
    }

    private static let endStreamFlag = UInt8(NGHTTP2_FLAG_END_STREAM.rawValue)
    private static let ackFlag = UInt8(NGHTTP2_FLAG_ACK.rawValue)

    /// Every frame's header, CONTINUATION included: the abuse counts. Past a limit the session stops
    /// reading at once (a fatal return), and the connection ends with GOAWAY ENHANCE_YOUR_CALM.
    private static let onBeginFrame: nghttp2_on_begin_frame_callback = { _, header, userData in
        withHandler(userData) { handler in beginFrame(header!.pointee, handler) }
    }

    private static func beginFrame(_ frame: nghttp2_frame_hd, _ handler: HTTP2RequestHandler) -> Int32 {
        let allowed: Bool
        switch Int(frame.type) {
        case Int(NGHTTP2_HEADERS.rawValue):
            handler.continuationFrames = 0
            allowed = true
        case Int(NGHTTP2_CONTINUATION.rawValue):
            handler.continuationFrames += 1
            allowed = handler.continuationFrames <= handler.limits.maxContinuationFrames
        case Int(NGHTTP2_RST_STREAM.rawValue):
            allowed = handler.resetFrames.allow()
        case Int(NGHTTP2_PING.rawValue), Int(NGHTTP2_SETTINGS.rawValue):
            allowed = frame.flags & ackFlag != 0 || handler.controlFrames.allow()
        case Int(NGHTTP2_PRIORITY.rawValue):
            allowed = handler.controlFrames.allow()
        default:
            allowed = true
        }
        guard allowed else {
            handler.endAfterRead(with: NGHTTP2_ENHANCE_YOUR_CALM)
            return NGHTTP2_ERR_CALLBACK_FAILURE.rawValue
        }
        return 0
    }

    /// A header block begins: a request's, whose stream is counted open only once the block is
    /// complete (a connection stuck in an unfinished block stays idle), or trailers.
    private static let onBeginHeaders: nghttp2_on_begin_headers_callback = { session, frame, userData in
        withHandler(userData) { handler in beginHeaders(session, frame!, handler) }
    }

    private static func beginHeaders(_ session: OpaquePointer?, _ frame: UnsafePointer<nghttp2_frame>, _ handler: HTTP2RequestHandler) -> Int32 {
        let streamID = frame.pointee.hd.stream_id
        guard frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST else {
            handler.headerBlockStream = handler.stream(streamID)
            handler.headerBlockStream?.beginHeaderBlock()
            return 0
        }
        // Once draining, the GOAWAY has named the last stream taken; later ones are not.
        guard !handler.closer.isDraining else {
            nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, NGHTTP2_REFUSED_STREAM.rawValue)
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue
        }
        handler.headerBlockStream = HTTP2StreamExchange(streamID: streamID, connection: handler)
        return 0
    }

    /// One decoded field, already checked by nghttp2. A block over SETTINGS_MAX_HEADER_LIST_SIZE
    /// (an HPACK bomb is one: small on the wire, large decoded) resets its stream.
    private static let onHeader: nghttp2_on_header_callback = { session, frame, name, nameLength, value, valueLength, _, userData in
        withHandler(userData) { handler in
            let streamID = frame!.pointee.hd.stream_id
            let isRequest = frame!.pointee.headers.cat == NGHTTP2_HCAT_REQUEST
            let name = UnsafeRawBufferPointer(start: name, count: nameLength)
            let value = UnsafeRawBufferPointer(start: value, count: valueLength)
            let limit = handler.limits.maxHeaderListSize
            let fits = handler.withHeaderBlockStream(streamID) { stream in
                isRequest
                    ? stream.receiveField(name: name, value: value, limit: limit)
                    : stream.receiveTrailerField(name: name, value: value, limit: limit)
            }
            // `nil`: not the block being read.
            guard fits == false else { return 0 }
            handler.headerBlockStream = nil
            nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, NGHTTP2_ENHANCE_YOUR_CALM.rawValue)
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue
        }
    }

    /// A field nghttp2 would otherwise skip (a regular field with a forbidden byte, say) makes the
    /// block malformed (RFC 9113 §8.1.1): the stream is reset with PROTOCOL_ERROR, which in turn
    /// reports the invalid frame below and ends the connection.
    private static let onInvalidHeader: nghttp2_on_invalid_header_callback = { _, _, _, _, _, _, _, _ in
        NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue
    }

    private static let onFrameReceived: nghttp2_on_frame_recv_callback = { _, frame, userData in
        withHandler(userData) { handler in frameReceived(frame!, handler) }
    }

    private static func frameReceived(_ frame: UnsafePointer<nghttp2_frame>, _ handler: HTTP2RequestHandler) -> Int32 {
        let header = frame.pointee.hd
        let endStream = header.flags & endStreamFlag != 0
        switch Int(header.type) {
        case Int(NGHTTP2_DATA.rawValue):
            guard let stream = handler.stream(header.stream_id) else { return 0 }
            if frame.pointee.data.padlen > 0 { stream.padded = true }
            if endStream { stream.receiveEnd() } else { stream.dataFrameEnded() }
        case Int(NGHTTP2_HEADERS.rawValue):
            guard let stream = handler.headerBlockStream, stream.streamID == header.stream_id else { return 0 }
            handler.headerBlockStream = nil
            if frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST {
                handler.open(stream)
                stream.receiveHead(endStream: endStream)
            } else if endStream {
                stream.receiveEnd()
            }
        default:
            break
        }
        return 0
    }

    /// nghttp2 has already answered a malformed frame with RST_STREAM or GOAWAY; the connection
    /// ends once the read is over (a client that sends one is broken or probing).
    private static let onInvalidFrameReceived: nghttp2_on_invalid_frame_recv_callback = { _, frame, _, userData in
        withHandler(userData) { handler in
            if let stream = handler.headerBlockStream, stream.streamID == frame!.pointee.hd.stream_id {
                handler.headerBlockStream = nil
            }
            handler.endAfterRead(with: NGHTTP2_PROTOCOL_ERROR)
            return 0
        }
    }

    private static let onDataChunk: nghttp2_on_data_chunk_recv_callback = { session, _, streamID, data, length, userData in
        // The connection's window is always given back at once; streams hold back their own.
        nghttp2_session_consume_connection(session, length)
        withHandler(userData) { handler in
            // Lent, not copied into a buffer of its own: a whole body is appended from here.
            handler.stream(streamID)?.receiveData(UnsafeRawBufferPointer(start: data, count: length))
        }
        return 0
    }

    /// An answer sent before its request's body ended is followed by RST_STREAM NO_ERROR once its
    /// last frame is out: the client stops sending its body and still reads the answer.
    private static let onFrameSent: nghttp2_on_frame_send_callback = { session, frame, userData in
        let header = frame!.pointee.hd
        guard header.flags & endStreamFlag != 0,
              header.type == UInt8(NGHTTP2_DATA.rawValue) || header.type == UInt8(NGHTTP2_HEADERS.rawValue),
              withHandler(userData, { $0.stream(header.stream_id)?.resetAfterAnswer ?? false }) else { return 0 }
        nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), header.stream_id, NGHTTP2_NO_ERROR.rawValue)
        return 0
    }

    private static let onStreamClosed: nghttp2_on_stream_close_callback = { _, streamID, _, userData in
        withHandler(userData) { $0.streamClosed(streamID) }
        return 0
    }

    /// nghttp2 reads an answer's body through this as the windows allow; `source.ptr` is the stream,
    /// which stays open (and held in `streams`) until its last DATA frame is sent.
    static let readResponseBody: nghttp2_data_source_read_callback = { _, _, destination, capacity, flags, source, _ in
        let stream = Unmanaged<HTTP2StreamExchange>.fromOpaque(source!.pointee.ptr).takeUnretainedValue()
        let (count, last) = stream.readBody(into: destination!, capacity: capacity)
        if last { flags!.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue }
        return count
    }
}
