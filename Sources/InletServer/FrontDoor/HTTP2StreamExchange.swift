import NIOCore
import NIOHTTP1

/// One HTTP/2 stream as an `ExchangeTransport`: collects its header fields as nghttp2 decodes them
/// into a request head, passes its DATA on, hands the answer to the connection's session, and gives
/// the stream's flow-control window back as its exchange consumes (so a busy streaming consumer
/// stops its client at one window of data).
final class HTTP2StreamExchange: ExchangeTransport {
    let streamID: Int32
    var exchange: RequestExchange?
    /// Cleared when the stream closes; nothing is written after that.
    private var connection: HTTP2RequestHandler?
    private var endReceived = false
    /// Flow-controlled bytes received on this stream and not yet given back.
    private var credit = 0
    /// Body bytes still to come by the request's `content-length`; `nil` when it declared none.
    private var declaredRemaining: Int?
    /// Whether DATA arrived padded: padding uses window the declared length does not account for.
    var padded = false
    /// Set for an answer sent before the request's body ended: once it is out, the stream is reset
    /// with `NO_ERROR` (RFC 9113 §8.1), so the client stops sending and still reads the answer.
    private(set) var resetAfterAnswer = false

    // The request head, as nghttp2 passes its fields one by one.
    private var method = ""
    private var path = ""
    private var fields: [(String, String)] = []
    private var headFields = RequestExchange.HeadFields(requestId: nil, contentLength: nil, contentEncoding: nil)
    /// The decoded size of the header block so far, counted as SETTINGS_MAX_HEADER_LIST_SIZE counts it.
    private var headerListSize = 0

    /// The answer's body; nghttp2 copies it into DATA frames as the stream's window allows.
    private var body: [UInt8] = []
    private var bodySent = 0

    init(streamID: Int32, connection: HTTP2RequestHandler) {
        self.streamID = streamID
        self.connection = connection
        fields.reserveCapacity(12)
    }

    var eventLoop: any EventLoop { connection!.eventLoop }
    var allocator: ByteBufferAllocator { connection!.allocator }
    var remoteIP: String? { connection?.remoteIP }
    var recentCredential: RecentCredential? { connection?.recentCredential }

    // MARK: - The request, from the connection's session

    /// A header block begins (the request's, or its trailers').
    func beginHeaderBlock() {
        headerListSize = 0
    }

    /// One field of the request's header block; `false` once the block is larger than `limit`.
    /// nghttp2 has checked the field (RFC 9113 §8.2, §8.3) before it gets here.
    func receiveField(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, limit: Int) -> Bool {
        headerListSize += name.count + value.count + 32
        guard headerListSize <= limit else { return false }
        if name.first == UInt8(ascii: ":") {
            switch name.count {
            case 5 where Self.equals(name, ":path"): path = String(decoding: value, as: UTF8.self)
            case 7 where Self.equals(name, ":method"): method = String(decoding: value, as: UTF8.self)
            // HTTP/2's authority is HTTP/1's Host, which signature schemes and logs expect. Pseudo-header
            // fields come first, so no `host` field can precede it.
            case 10 where Self.equals(name, ":authority"):
                fields.append(("host", connection?.recentFields.string(value) ?? String(decoding: value, as: UTF8.self)))
            default: break
            }
            return true
        }
        let nameText = connection?.recentFields.string(name) ?? String(decoding: name, as: UTF8.self)
        let valueText = connection?.recentFields.string(value) ?? String(decoding: value, as: UTF8.self)
        // The first of each name counts, as in `HTTPHeaders.first(name:)`.
        switch name.count {
        case 12 where headFields.requestId == nil && Self.equals(name, "x-request-id"): headFields.requestId = valueText
        case 14 where headFields.contentLength == nil && Self.equals(name, "content-length"): headFields.contentLength = valueText
        case 16 where headFields.contentEncoding == nil && Self.equals(name, "content-encoding"): headFields.contentEncoding = valueText
        default: break
        }
        fields.append((nameText, valueText))
        return true
    }

    /// A trailer field: only its size matters (nghttp2 has checked it), its END_STREAM ends the request.
    func receiveTrailerField(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, limit: Int) -> Bool {
        headerListSize += name.count + value.count + 32
        return headerListSize <= limit
    }

    /// The request's header block is complete.
    func receiveHead(endStream: Bool) {
        endReceived = endStream
        // nghttp2 checks the DATA against the declared length: a body that outgrows it is refused,
        // so trusting it for flow control stalls no honest client.
        declaredRemaining = headFields.contentLength.flatMap { Int($0) }.flatMap { $0 >= 0 ? $0 : nil }
        let headers = HTTPHeaders(fields)
        fields = []
        // nghttp2 has passed the block: a request has :method, and :path unless it is a CONNECT
        // (which no route takes).
        exchange?.receiveHead(method: HTTPMethod(rawValue: method), uri: path, headers: headers, fields: headFields, keepAlive: true)
        if endStream { exchange?.receiveEnd() }
    }

    /// A DATA chunk, lent by nghttp2 for this call only.
    func receiveData(_ bytes: UnsafeRawBufferPointer) {
        credit += bytes.count
        declaredRemaining? -= bytes.count
        exchange?.receiveBody(bytes: bytes)
    }

    /// The request's last frame (DATA or trailers) arrived.
    func receiveEnd() {
        endReceived = true
        exchange?.receiveEnd()
    }

    /// A DATA frame ended without ending the stream: the client may need window for the rest.
    func dataFrameEnded() {
        giveBackCredit(flush: false)
    }

    /// The stream closed (answered, reset, or the connection went).
    func detach() {
        exchange?.detach()
        exchange = nil
        connection = nil
    }

    /// Returns the window once half of it is used, unless the exchange is holding back or has answered
    /// early (the stream is being reset), or the rest of the declared body fits in what is left of
    /// the window: then the client needs no more, and a WINDOW_UPDATE would only cost a frame and a
    /// socket write (a 50 KB batch body used to get one).
    private func giveBackCredit(flush: Bool) {
        guard let connection, !endReceived, !resetAfterAnswer, credit >= HTTP2RequestHandler.windowSize / 2,
              exchange?.isReadPaused != true else { return }
        if let declaredRemaining, !padded, declaredRemaining <= HTTP2RequestHandler.windowSize - credit { return }
        connection.giveBack(credit, on: streamID, send: flush)
        credit = 0
    }

    // MARK: - The answer's body, read by nghttp2

    /// Copies up to `capacity` bytes of the answer's body to `destination`; `true` when that was the last of it.
    func readBody(into destination: UnsafeMutablePointer<UInt8>, capacity: Int) -> (count: Int, last: Bool) {
        let count = min(capacity, body.count - bodySent)
        body.withUnsafeBufferPointer { source in
            destination.update(from: source.baseAddress! + bodySent, count: count)
        }
        bodySent += count
        return (count, bodySent == body.count)
    }

    // MARK: - ExchangeTransport

    func writeResponse(_ response: InletResponse, requestId: String, early: Bool, close: Bool) {
        guard let connection else { return }
        resetAfterAnswer = early && !endReceived
        body = response.body
        connection.submitResponse(on: self, response, requestId: requestId)
    }

    func resumeReading() {
        giveBackCredit(flush: true)
    }

    func callAtReadEnd(_ exchange: RequestExchange) {
        connection?.callAtReadEnd(exchange)
    }

    @inline(__always)
    private static func equals(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        guard bytes.count == literal.utf8CodeUnitCount else { return false }
        let expected = literal.utf8Start
        for index in 0..<bytes.count where bytes[index] != expected[index] { return false }
        return true
    }
}
