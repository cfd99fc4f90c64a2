import NIOCore
import NIOHPACK
import NIOHTTP1
import NIOHTTP2

/// One HTTP/2 stream as an `ExchangeTransport`: turns its HEADERS into a request head, passes its
/// DATA on, writes the answer as frames, and gives the stream's flow-control window back as its
/// exchange consumes (so a busy streaming consumer stops its client at one window of data).
final class HTTP2StreamExchange: ExchangeTransport {
    let streamID: HTTP2StreamID
    var exchange: RequestExchange?
    /// Cleared when the stream closes; nothing is written after that.
    private var connection: HTTP2RequestHandler?
    private var endReceived = false
    /// Flow-controlled bytes received on this stream and not yet given back.
    private var credit = 0
    /// Body bytes still to come by the request's `content-length`; `nil` when it declared none.
    private var declaredRemaining: Int?
    /// Whether DATA arrived padded: padding uses window the declared length does not account for.
    private var padded = false

    init(streamID: HTTP2StreamID, connection: HTTP2RequestHandler) {
        self.streamID = streamID
        self.connection = connection
    }

    var eventLoop: any EventLoop { connection!.eventLoop }
    var allocator: ByteBufferAllocator { connection!.allocator }
    var remoteIP: String? { connection?.remoteIP }

    func receiveHead(_ block: HPACKHeaders, endStream: Bool) {
        endReceived = endStream
        var method = ""
        var path = ""
        // Collected as an array and wrapped once: `HTTPHeaders.add` would re-check every name for
        // ASCII and for `connection`, which HTTP2HeaderValidator has already ruled on.
        var fields: [(String, String)] = []
        fields.reserveCapacity(block.count)
        // HTTP2HeaderValidator allows only lowercase names, so plain equality finds what
        // `HTTPHeaders.first(name:)` would; the first of each name counts, as there.
        var read = RequestExchange.HeadFields(requestId: nil, contentLength: nil, contentEncoding: nil)
        for (name, value, _) in block {
            if name.utf8.first == UInt8(ascii: ":") {
                switch name {
                case ":method": method = value
                case ":path": path = value
                // HTTP/2's authority is HTTP/1's Host, which signature schemes and logs expect. Pseudo-header
                // fields come first, so no `host` field can precede it.
                case ":authority": fields.append(("host", value))
                default: break
                }
            } else {
                switch name {
                case "content-length" where read.contentLength == nil: read.contentLength = value
                case "x-request-id" where read.requestId == nil: read.requestId = value
                case "content-encoding" where read.contentEncoding == nil: read.contentEncoding = value
                default: break
                }
                fields.append((name, value))
            }
        }
        // NIOHTTP2 checks the DATA against the declared length (content-length validation stays on):
        // a body that outgrows it is refused, so trusting it for flow control stalls no honest client.
        declaredRemaining = read.contentLength.flatMap { Int($0) }.flatMap { $0 >= 0 ? $0 : nil }
        // HTTP2HeaderValidator has passed the block: a request has :method, and :path unless it is a
        // CONNECT (which no route takes).
        exchange?.receiveHead(method: HTTPMethod(rawValue: method), uri: path, headers: HTTPHeaders(fields), fields: read, keepAlive: true)
        if endStream { exchange?.receiveEnd() }
    }

    func receiveData(_ buffer: ByteBuffer, flowControlled: Int, endStream: Bool) {
        if endStream { endReceived = true }
        credit += flowControlled
        if flowControlled > buffer.readableBytes { padded = true }
        declaredRemaining? -= buffer.readableBytes
        exchange?.receiveBody(buffer)
        if endStream {
            exchange?.receiveEnd()
        } else {
            giveBackCredit(flush: false)
        }
    }

    func receiveEnd() {
        endReceived = true
        exchange?.receiveEnd()
    }

    /// The stream closed (answered, reset, or the connection went).
    func detach() {
        exchange?.detach()
        exchange = nil
        connection = nil
    }

    /// Returns the window once half of it is used, unless the exchange is holding back, or the rest
    /// of the declared body fits in what is left of the window: then the client needs no more, and
    /// a WINDOW_UPDATE would only cost a frame and a socket write (a 50 KB batch body used to get one).
    private func giveBackCredit(flush: Bool) {
        guard let connection, !endReceived, credit >= HTTP2RequestHandler.windowSize / 2, exchange?.isReadPaused != true else { return }
        if let declaredRemaining, !padded, declaredRemaining <= HTTP2RequestHandler.windowSize - credit { return }
        connection.write(.windowUpdate(windowSizeIncrement: credit), on: streamID)
        credit = 0
        if flush { connection.flush() }
    }

    // MARK: - ExchangeTransport

    func writeResponse(_ response: InletResponse, requestId: String, early: Bool, close: Bool) {
        guard let connection else { return }
        var headers = HPACKHeaders()
        headers.reserveCapacity(response.headers.count + 3)
        headers.add(name: ":status", value: Self.statusText(response.status.code))
        for (name, value) in response.headers {
            let name = Self.lowercased(name)
            // NIOHTTP2 no longer validates outbound blocks (see FrontDoor): a field HTTP/2 cannot carry is left out.
            guard HTTP2HeaderValidator.isValidResponseField(name: name, value: value) else { continue }
            headers.add(name: name, value: value, indexing: connection.indexing(of: name))
        }
        if ResponseHeaders.needsContentLength(response.status) {
            headers.add(name: "content-length", value: String(response.body.count))
        }
        headers.add(name: "x-request-id", value: requestId, indexing: connection.indexing(of: "x-request-id"))
        let resetAfter = early && !endReceived
        let written = resetAfter ? connection.eventLoop.makePromise(of: Void.self) : nil
        if response.body.isEmpty {
            connection.write(.headers(.init(headers: headers, endStream: true)), on: streamID, promise: written)
        } else {
            connection.write(.headers(.init(headers: headers)), on: streamID)
            connection.write(.data(.init(data: .byteBuffer(connection.allocator.buffer(bytes: response.body)), endStream: true)),
                             on: streamID, promise: written)
        }
        connection.flush()
        if let written {
            // RFC 9113 §8.1: the client stops sending its body and still reads this answer. Sent once
            // the answer is on the wire, so that clients read the answer before the reset.
            written.futureResult.assumeIsolated().whenComplete { _ in
                guard let connection = self.connection else { return }
                connection.write(.rstStream(.noError), on: self.streamID)
                connection.flush()
            }
        }
    }

    func resumeReading() {
        giveBackCredit(flush: true)
    }

    func callAtReadEnd(_ exchange: RequestExchange) {
        connection?.callAtReadEnd(exchange)
    }

    /// HTTP/2 field names are lowercase; most of inlet's already are.
    private static func lowercased(_ name: String) -> String {
        name.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) ? name.lowercased() : name
    }

    /// Literals for the statuses inlet sends, so they cost no conversion (nor a hashed lookup).
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
