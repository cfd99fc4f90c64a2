import Logging
import Metrics
import NIOCore

/// A pipelining Redis client: a few connections per event loop, lazy connect, reconnect with
/// capped backoff, and futures that complete on the caller's loop.
///
/// While a loop's connections are down, commands fail at once with `notConnected` rather than
/// queueing, so callers (the rate limiter) can fall back without waiting.
public final class RedisClient: Sendable {
    public let endpoint: RedisEndpoint
    public let configuration: Configuration
    /// Built once in `init` and never mutated, so finding a loop's connections takes no lock.
    private let connectionsByLoop: [ObjectIdentifier: RedisLoopConnections]
    /// For callers on a loop outside `eventLoopGroup`: their commands run here and hop back.
    private let foreignLoopConnections: RedisLoopConnections
    private let commandDuration: Timer
    private let errors: Counter

    public init(url: String, eventLoopGroup: any EventLoopGroup, configuration: Configuration = .init(), logger: Logger) throws {
        let endpoint = try RedisEndpoint(url: url)
        self.endpoint = endpoint
        self.configuration = configuration
        self.commandDuration = Timer(label: "inlet_redis_command_duration")
        self.errors = Counter(label: "inlet_redis_errors_total")
        let reconnects = Counter(label: "inlet_redis_reconnects_total")
        var connectionsByLoop: [ObjectIdentifier: RedisLoopConnections] = [:]
        var first: RedisLoopConnections?
        for loop in eventLoopGroup.makeIterator() {
            let connections = RedisLoopConnections(eventLoop: loop, endpoint: endpoint, configuration: configuration, logger: logger, reconnects: reconnects)
            connectionsByLoop[ObjectIdentifier(loop)] = connections
            first = first ?? connections
        }
        self.connectionsByLoop = connectionsByLoop
        self.foreignLoopConnections = first ?? RedisLoopConnections(
            eventLoop: eventLoopGroup.next(), endpoint: endpoint, configuration: configuration, logger: logger, reconnects: reconnects
        )
    }

    /// Sends a command (name first) and completes with its reply on `eventLoop`. An error reply is
    /// a successful `.error` value; transport failures and timeouts fail the future.
    public func send(_ command: [String], on eventLoop: any EventLoop) -> EventLoopFuture<RESPValue> {
        var encoded = ByteBuffer()
        RESPCommandEncoder.encode(command, into: &encoded)
        return send(encoded: encoded, on: eventLoop)
    }

    /// Binary-safe variant of `send(_:on:)`.
    public func send(_ command: [ByteBuffer], on eventLoop: any EventLoop) -> EventLoopFuture<RESPValue> {
        var encoded = ByteBuffer()
        RESPCommandEncoder.encode(command, into: &encoded)
        return send(encoded: encoded, on: eventLoop)
    }

    /// Sends one command already encoded as RESP (see `RESPCommandEncoder`), for hot callers that
    /// keep the constant part of their command as bytes. The bytes must be exactly one command:
    /// replies are matched to commands in order.
    public func send(encoded: ByteBuffer, on eventLoop: any EventLoop) -> EventLoopFuture<RESPValue> {
        let start = NIODeadline.now()
        let reply: EventLoopFuture<RESPValue>
        if let connections = connectionsByLoop[ObjectIdentifier(eventLoop)] {
            if eventLoop.inEventLoop {
                reply = connections.send(encoded)
            } else {
                reply = eventLoop.flatSubmit { connections.send(encoded) }
            }
        } else {
            let connections = foreignLoopConnections
            reply = connections.eventLoop.flatSubmit { connections.send(encoded) }.hop(to: eventLoop)
        }
        let commandDuration = self.commandDuration
        let errors = self.errors
        reply.whenComplete { result in
            commandDuration.recordNanoseconds((NIODeadline.now() - start).nanoseconds)
            if case .failure = result { errors.increment() }
        }
        return reply
    }

    /// The loops this client keeps connections on, fixed at `init`: callers that keep per-loop
    /// state of their own build it from these once, and then find it without a lock.
    public var eventLoops: [any EventLoop] {
        connectionsByLoop.values.map(\.eventLoop)
    }

    /// Succeeds when Redis answers `PONG`.
    public func ping(on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        send(["PING"], on: eventLoop).flatMapThrowing { reply in
            guard reply == .simpleString("PONG") else {
                throw RedisClientError(.protocolError, "PING answered \(reply)")
            }
        }
    }

    /// Closes every connection; commands sent afterwards fail with `clientShutdown`.
    public func shutdown() async {
        var all = Array(connectionsByLoop.values)
        if !all.contains(where: { $0 === foreignLoopConnections }) { all.append(foreignLoopConnections) }
        for connections in all {
            try? await connections.eventLoop.flatSubmit { connections.shutdown() }.get()
        }
    }
}
