import Crypto
import Foundation
import InletModel
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// Plays the campaign engine for the forwarder tests: a plain HTTP/1.1 server on 127.0.0.1 that
/// records every `POST /v1/triggers`, checks `X-Inlet-Signature` with an HMAC written here from
/// SHA-256 alone (so a bug in the forwarder's signing cannot hide behind the same code), and
/// answers from a script: the queued statuses first, then `defaultStatus`; `noAnswer` keeps the
/// request hanging, to catch a forwarder mid-delivery.
///
/// `stop()` and `start(port:)` with the old port play an engine outage and its return.
final class EngineReceiver: Sendable {
    struct Received: Sendable {
        var path: String
        var idempotencyKey: String?
        var contentType: String?
        var signatureValid: Bool
        var body: [UInt8]
        var json: JSONValue?
        var status: Int

        var id: String? { json?["id"]?.stringValue }
    }

    private struct State {
        var script: [Int]
        var defaultStatus: Int
        var received: [Received] = []
        var channel: Channel?
        var connections: [ObjectIdentifier: Channel] = [:]
        var port = 0
    }

    static let noAnswer = 0

    let secret: String
    private let state: NIOLockedValueBox<State>

    init(secret: String, script: [Int] = [], defaultStatus: Int = 200) {
        self.secret = secret
        state = NIOLockedValueBox(State(script: script, defaultStatus: defaultStatus))
    }

    var port: Int { state.withLockedValue { $0.port } }
    var url: String { "http://127.0.0.1:\(port)" }
    var received: [Received] { state.withLockedValue { $0.received } }
    var receivedIDs: [String] { received.compactMap(\.id) }

    func setDefaultStatus(_ status: Int) {
        state.withLockedValue { $0.defaultStatus = status }
    }

    /// Listens on `port` (0: any free port); the port stays known after `stop()`.
    func start(port: Int = 0) async throws {
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                self.track(channel)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(EngineReceiverHandler(receiver: self))
                }
            }
        let channel = try await bootstrap.bind(host: "127.0.0.1", port: port).get()
        state.withLockedValue {
            $0.channel = channel
            $0.port = channel.localAddress?.port ?? port
        }
    }

    /// Closes the listener and every open connection, so pooled keep-alive connections die too.
    func stop() async throws {
        let (listener, connections) = state.withLockedValue { state -> (Channel?, [Channel]) in
            defer {
                state.channel = nil
                state.connections = [:]
            }
            return (state.channel, Array(state.connections.values))
        }
        try await listener?.close()
        for connection in connections {
            try? await connection.close()
        }
    }

    private func track(_ channel: Channel) {
        let key = ObjectIdentifier(channel)
        state.withLockedValue { $0.connections[key] = channel }
        channel.closeFuture.whenComplete { _ in
            self.state.withLockedValue { _ = $0.connections.removeValue(forKey: key) }
        }
    }

    /// Records one request and picks its answer.
    fileprivate func handle(path: String, headers: HTTPHeaders, body: [UInt8]) -> Int {
        let signatureValid = headers.first(name: "X-Inlet-Signature").map { verify(header: $0, body: body) } ?? false
        return state.withLockedValue { state in
            let status = state.script.isEmpty ? state.defaultStatus : state.script.removeFirst()
            state.received.append(
                Received(
                    path: path, idempotencyKey: headers.first(name: "Idempotency-Key"), contentType: headers.first(name: "Content-Type"),
                    signatureValid: signatureValid, body: body, json: try? JSONParser.parse(body), status: status
                )
            )
            return status
        }
    }

    /// `t=<unix seconds>,v1=<hex>`: fresh within five minutes, MAC over `t.body`.
    func verify(header: String, body: [UInt8]) -> Bool {
        var fields: [String: String] = [:]
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { return false }
            fields[String(pair[0])] = String(pair[1])
        }
        guard let timestampText = fields["t"], let timestamp = Int(timestampText), let mac = fields["v1"] else { return false }
        guard abs(Int(Date().timeIntervalSince1970) - timestamp) <= 300 else { return false }
        let expected = Self.hmacSHA256(key: Array(secret.utf8), message: Array("\(timestampText).".utf8) + body)
        return mac == expected.map { String(format: "%02x", $0) }.joined()
    }

    /// RFC 2104 over SHA-256, block size 64.
    static func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var block = key.count > 64 ? Array(SHA256.hash(data: key)) : key
        block += [UInt8](repeating: 0, count: 64 - block.count)
        let inner = Array(SHA256.hash(data: block.map { $0 ^ 0x36 } + message))
        return Array(SHA256.hash(data: block.map { $0 ^ 0x5C } + inner))
    }
}

/// Collects one request at a time and answers it with the receiver's scripted status.
private final class EngineReceiverHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let receiver: EngineReceiver
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    init(receiver: EngineReceiver) {
        self.receiver = receiver
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
        case .body(var buffer):
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            guard let head else { return }
            let status = receiver.handle(path: head.uri, headers: head.headers, body: body)
            self.head = nil
            guard status != EngineReceiver.noAnswer else { return }
            let answer = ByteBuffer(string: #"{"ok":\#(status < 300)}"#)
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(answer.readableBytes))
            let responseHead = HTTPResponseHead(version: head.version, status: HTTPResponseStatus(statusCode: status), headers: headers)
            context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(answer))), promise: nil)
            let keepAlive = head.isKeepAlive
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
                if !keepAlive { channel.close(promise: nil) }
            }
        }
    }
}
