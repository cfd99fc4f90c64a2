import NIOConcurrencyHelpers
import NIOCore
import NIOHPACK
import NIOPosix
import NIOSSL
import NIOTLS

/// An HTTP/2 client over TLS (ALPN `h2`) that writes hand-built frames, so tests can misbehave in
/// ways no real client will: reset floods, PING and SETTINGS floods, endless CONTINUATION, header
/// blocks that decode larger than allowed. It acknowledges the server's SETTINGS (so the server's
/// limits take effect) and records every frame the server sends, with response headers decoded.
final class HTTP2RawClient: Sendable {
    /// One frame as received: the 9-byte header split out, the payload as is.
    struct Frame: Sendable, CustomStringConvertible {
        var type: UInt8
        var flags: UInt8
        var stream: UInt32
        var payload: [UInt8]
        /// Decoded header list of a HEADERS frame (END_HEADERS set), else nil.
        var headers: [(name: String, value: String)]?

        var isGoAway: Bool { type == H2.T.goAway }
        /// The error code of a GOAWAY or RST_STREAM frame.
        var errorCode: UInt32? {
            switch type {
            case H2.T.goAway where payload.count >= 8: return H2.uint32(payload, at: 4)
            case H2.T.rstStream where payload.count >= 4: return H2.uint32(payload, at: 0)
            default: return nil
            }
        }
        var status: String? { headers?.first { $0.name == ":status" }?.value }

        var description: String {
            "\(H2.typeName(type))(stream \(stream), flags \(flags)\(errorCode.map { ", code \($0)" } ?? "")\(status.map { ", :status \($0)" } ?? ""))"
        }
    }

    private struct State {
        var buffer: [UInt8] = []
        var frames: [Frame] = []
        var settingsReceived = false
        var closed = false
        var decodeFailed = false
    }

    let channel: any Channel
    private let state: NIOLockedValueBox<State>

    private init(channel: any Channel, state: NIOLockedValueBox<State>) {
        self.channel = channel
        self.state = state
    }

    /// Connects, negotiates `h2`, sends the preface and an empty SETTINGS frame, and waits until the
    /// server's SETTINGS arrived and was acknowledged.
    static func connect(port: Int, group: any EventLoopGroup) async throws -> HTTP2RawClient {
        let state = NIOLockedValueBox(State())
        let (channel, negotiated) = try await connectTestTLS(port: port, group: group, alpn: ["h2"]) { handshake in
            FrameReader(state: state, handshake: handshake)
        }
        guard negotiated == "h2" else {
            try? await channel.close()
            throw HTTP2RawClientError.notHTTP2(negotiated)
        }
        let client = HTTP2RawClient(channel: channel, state: state)
        guard await client.wait(limit: .seconds(5), until: { $0.settingsReceived }) else {
            throw HTTP2RawClientError.noSettings
        }
        return client
    }

    /// Writes raw bytes (one or more frames) and flushes. Fails once the server has closed.
    func write(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes))
    }

    /// Writes frames in chunks of `perWrite`, stopping quietly as soon as the server closes.
    /// Returns how many frames were written.
    @discardableResult
    func flood(_ frames: [[UInt8]], perWrite: Int = 20) async -> Int {
        var written = 0
        var index = 0
        while index < frames.count {
            let end = min(index + perWrite, frames.count)
            do {
                try await write(frames[index..<end].flatMap { $0 })
            } catch {
                break
            }
            written = end
            index = end
        }
        return written
    }

    var frames: [Frame] { state.withLockedValue { $0.frames } }
    var isClosed: Bool { state.withLockedValue { $0.closed } }
    /// Whether a header block the server sent failed to decode.
    var decodeFailed: Bool { state.withLockedValue { $0.decodeFailed } }
    var goAway: Frame? { frames.first { $0.isGoAway } }

    /// Waits until the server sends a GOAWAY or closes the connection (or `limit` passes); returns
    /// the GOAWAY if one came. Closes the connection afterwards.
    func goAwayOrClose(limit: TimeAmount = .seconds(10)) async -> (goAway: Frame?, closed: Bool) {
        _ = await wait(limit: limit) { state in state.closed || state.frames.contains { $0.isGoAway } }
        // A GOAWAY for a connection error is followed by the close; give it a moment to arrive.
        _ = await wait(limit: .seconds(2)) { $0.closed }
        let result = (goAway, isClosed)
        await close()
        return result
    }

    /// Waits until a frame matching `predicate` has arrived (or `limit` passes).
    func waitForFrame(limit: TimeAmount = .seconds(10), _ predicate: @escaping @Sendable (Frame) -> Bool) async -> Frame? {
        _ = await wait(limit: limit) { state in state.closed || state.frames.contains(where: predicate) }
        return frames.first(where: predicate)
    }

    func close() async {
        try? await channel.close()
    }

    private func wait(limit: TimeAmount, until condition: (State) -> Bool) async -> Bool {
        let deadline = NIODeadline.now() + limit
        while NIODeadline.now() < deadline {
            if state.withLockedValue({ condition($0) }) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return state.withLockedValue { condition($0) }
    }

    /// Splits the byte stream into frames, acknowledges SETTINGS, decodes response headers.
    private final class FrameReader: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let state: NIOLockedValueBox<State>
        let handshake: EventLoopPromise<String?>
        var decoder = HPACKDecoder(allocator: ByteBufferAllocator())
        var headerBlock: (stream: UInt32, bytes: [UInt8])?

        init(state: NIOLockedValueBox<State>, handshake: EventLoopPromise<String?>) {
            self.state = state
            self.handshake = handshake
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            var ack = false
            state.withLockedValue { state in
                state.buffer.append(contentsOf: buffer.readableBytesView)
                while state.buffer.count >= 9 {
                    let length = Int(state.buffer[0]) << 16 | Int(state.buffer[1]) << 8 | Int(state.buffer[2])
                    guard state.buffer.count >= 9 + length else { break }
                    var frame = Frame(type: state.buffer[3], flags: state.buffer[4],
                                      stream: H2.uint32(state.buffer, at: 5) & 0x7fff_ffff,
                                      payload: Array(state.buffer[9..<(9 + length)]))
                    state.buffer.removeFirst(9 + length)
                    if frame.type == H2.T.settings, frame.flags & H2.ack == 0 {
                        state.settingsReceived = true
                        ack = true
                    }
                    if frame.type == H2.T.headers || frame.type == H2.T.continuation {
                        frame.headers = decodeHeaders(frame, state: &state)
                    }
                    state.frames.append(frame)
                }
            }
            if ack {
                context.writeAndFlush(NIOAny(context.channel.allocator.buffer(bytes: H2.frame(type: H2.T.settings, flags: H2.ack, stream: 0, payload: []))),
                                      promise: nil)
            }
        }

        private func decodeHeaders(_ frame: Frame, state: inout State) -> [(name: String, value: String)]? {
            var block: [UInt8]
            if frame.type == H2.T.headers {
                var payload = frame.payload[...]
                var padding = 0
                if frame.flags & H2.padded != 0, let first = payload.first { padding = Int(first); payload = payload.dropFirst() }
                if frame.flags & H2.priority != 0 { payload = payload.dropFirst(5) }
                block = Array(payload.dropLast(padding))
            } else {
                block = (headerBlock?.bytes ?? []) + frame.payload
            }
            guard frame.flags & H2.endHeaders != 0 else {
                headerBlock = (frame.stream, block)
                return nil
            }
            headerBlock = nil
            var buffer = ByteBuffer(bytes: block)
            guard let headers = try? decoder.decodeHeaders(from: &buffer) else {
                state.decodeFailed = true
                return nil
            }
            return headers.map { ($0.name, $0.value) }
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case .handshakeCompleted(let negotiated) = event as? TLSUserEvent {
                // The preface goes out from the event loop before anything is read, so the
                // acknowledgement of the server's SETTINGS can never overtake it.
                if negotiated == "h2" {
                    context.writeAndFlush(NIOAny(context.channel.allocator.buffer(bytes: H2.preface + H2.settings([]))), promise: nil)
                }
                handshake.succeed(negotiated)
            }
            context.fireUserInboundEventTriggered(event)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            handshake.fail(error)
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            handshake.fail(ChannelError.ioOnClosedChannel)
            state.withLockedValue { $0.closed = true }
            context.fireChannelInactive()
        }
    }
}

enum HTTP2RawClientError: Error {
    case notHTTP2(String?)
    case noSettings
}

/// Hand-built HTTP/2 frames (RFC 9113 §4.1) and a minimal HPACK encoder (RFC 7541: literals
/// without Huffman coding, plus indexed references for header blocks that decode larger than sent).
enum H2 {
    /// Frame types (RFC 9113 §6).
    enum T {
        static let data: UInt8 = 0x0, headers: UInt8 = 0x1, priority: UInt8 = 0x2, rstStream: UInt8 = 0x3
        static let settings: UInt8 = 0x4, ping: UInt8 = 0x6, goAway: UInt8 = 0x7, windowUpdate: UInt8 = 0x8
        static let continuation: UInt8 = 0x9
    }
    static let endStream: UInt8 = 0x1, ack: UInt8 = 0x1, endHeaders: UInt8 = 0x4, padded: UInt8 = 0x8, priority: UInt8 = 0x20

    /// Error codes (RFC 9113 §7).
    static let noError: UInt32 = 0x0, protocolError: UInt32 = 0x1, internalError: UInt32 = 0x2
    static let refusedStream: UInt32 = 0x7, cancel: UInt32 = 0x8, compressionError: UInt32 = 0x9
    static let enhanceYourCalm: UInt32 = 0xb

    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    static func frame(type: UInt8, flags: UInt8 = 0, stream: UInt32, payload: [UInt8]) -> [UInt8] {
        let length = payload.count
        return [UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff), type, flags]
            + bigEndian(stream & 0x7fff_ffff) + payload
    }

    static func settings(_ values: [(UInt16, UInt32)]) -> [UInt8] {
        frame(type: T.settings, stream: 0, payload: values.flatMap { [UInt8($0.0 >> 8), UInt8($0.0 & 0xff)] + bigEndian($0.1) })
    }

    static func ping(_ n: UInt64) -> [UInt8] {
        frame(type: T.ping, stream: 0, payload: (0..<8).map { UInt8(n >> (56 - 8 * $0) & 0xff) })
    }

    static func rstStream(_ stream: UInt32, code: UInt32 = cancel) -> [UInt8] {
        frame(type: T.rstStream, stream: stream, payload: bigEndian(code))
    }

    static func data(_ stream: UInt32, _ bytes: [UInt8], endStream: Bool = false) -> [UInt8] {
        frame(type: T.data, flags: endStream ? H2.endStream : 0, stream: stream, payload: bytes)
    }

    /// A HEADERS frame for a request, with END_HEADERS unless `endHeaders` is false.
    static func request(_ stream: UInt32, method: String = "GET", path: String, extra: [(String, String)] = [],
                        endStream: Bool = true, endHeaders: Bool = true) -> [UInt8] {
        let block = requestBlock(method: method, path: path, extra: extra)
        return frame(type: T.headers, flags: (endStream ? H2.endStream : 0) | (endHeaders ? H2.endHeaders : 0),
                     stream: stream, payload: block)
    }

    static func requestBlock(method: String, path: String, extra: [(String, String)] = []) -> [UInt8] {
        ([(":method", method), (":scheme", "https"), (":path", path), (":authority", "localhost")] + extra)
            .flatMap { literal($0.0, $0.1) }
    }

    /// Literal header field without indexing, new name (RFC 7541 §6.2.2).
    static func literal(_ name: String, _ value: String) -> [UInt8] {
        [0x00] + integer(name.utf8.count, prefix: 7, first: 0) + Array(name.utf8)
            + integer(value.utf8.count, prefix: 7, first: 0) + Array(value.utf8)
    }

    /// Literal header field with incremental indexing, new name (RFC 7541 §6.2.1): the field
    /// becomes dynamic-table entry 62.
    static func literalIndexed(_ name: String, _ value: String) -> [UInt8] {
        [0x40] + integer(name.utf8.count, prefix: 7, first: 0) + Array(name.utf8)
            + integer(value.utf8.count, prefix: 7, first: 0) + Array(value.utf8)
    }

    /// Indexed header field (RFC 7541 §6.1): one or two bytes that decode to a whole table entry.
    static func indexed(_ index: Int) -> [UInt8] {
        integer(index, prefix: 7, first: 0x80)
    }

    /// HPACK integer with an N-bit prefix (RFC 7541 §5.1).
    static func integer(_ value: Int, prefix: Int, first: UInt8) -> [UInt8] {
        let max = (1 << prefix) - 1
        if value < max { return [first | UInt8(value)] }
        var out = [first | UInt8(max)]
        var rest = value - max
        while rest >= 128 {
            out.append(UInt8(rest % 128 + 128))
            rest /= 128
        }
        out.append(UInt8(rest))
        return out
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24 & 0xff), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }

    static func uint32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    static func typeName(_ type: UInt8) -> String {
        ["DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS", "PUSH_PROMISE", "PING", "GOAWAY", "WINDOW_UPDATE",
         "CONTINUATION"].indices.contains(Int(type))
            ? ["DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS", "PUSH_PROMISE", "PING", "GOAWAY", "WINDOW_UPDATE",
               "CONTINUATION"][Int(type)] : "type\(type)"
    }
}
