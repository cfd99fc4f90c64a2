import Logging
import Metrics
import NIOCore
import NIOPosix

/// The connections of one event loop. Every property is touched only on `eventLoop`, which is
/// why the hot path (pick a connection, write) takes no lock.
final class RedisLoopConnections: @unchecked Sendable {
    private enum SlotState {
        case idle
        case connecting(EventLoopFuture<any Channel>)
        case connected(any Channel)
        case waitingToReconnect(Scheduled<Void>)
        case shutdown
    }

    private struct Slot {
        var state: SlotState = .idle
        var backoff: TimeAmount
        /// Set once the slot has been connected, so a later connect counts as a reconnect.
        var wasConnected = false
    }

    let eventLoop: any EventLoop
    private let endpoint: RedisEndpoint
    private let configuration: RedisClient.Configuration
    private let logger: Logger
    private let reconnects: Counter
    private var slots: [Slot]
    private var next = 0

    init(eventLoop: any EventLoop, endpoint: RedisEndpoint, configuration: RedisClient.Configuration, logger: Logger, reconnects: Counter) {
        self.eventLoop = eventLoop
        self.endpoint = endpoint
        self.configuration = configuration
        self.logger = logger
        self.reconnects = reconnects
        self.slots = Array(repeating: Slot(backoff: configuration.reconnectBackoffMinimum), count: max(1, configuration.connectionsPerEventLoop))
    }

    /// Sends an encoded command. Must run on `eventLoop`.
    func send(_ encoded: ByteBuffer) -> EventLoopFuture<RESPValue> {
        eventLoop.preconditionInEventLoop()
        let count = slots.count
        for offset in 0..<count {
            let index = (next + offset) % count
            if case .connected(let channel) = slots[index].state {
                next = (index + 1) % count
                return write(encoded, to: channel)
            }
        }
        for index in 0..<count {
            if case .connecting(let connected) = slots[index].state {
                return connected.flatMap { channel in self.write(encoded, to: channel) }
            }
        }
        for index in 0..<count {
            if case .idle = slots[index].state {
                let connected = connect(slot: index)
                return connected.flatMap { channel in self.write(encoded, to: channel) }
            }
        }
        if slots.contains(where: { if case .shutdown = $0.state { true } else { false } }) {
            return eventLoop.makeFailedFuture(RedisClientError(.clientShutdown))
        }
        return eventLoop.makeFailedFuture(RedisClientError(.notConnected, "reconnecting to \(endpoint.host):\(endpoint.port)"))
    }

    /// Closes every connection and stops reconnecting. Must run on `eventLoop`.
    func shutdown() -> EventLoopFuture<Void> {
        eventLoop.preconditionInEventLoop()
        var closing: [EventLoopFuture<Void>] = []
        for index in slots.indices {
            switch slots[index].state {
            case .connected(let channel):
                closing.append(channel.close().recover { _ in })
            case .connecting(let connected):
                closing.append(connected.flatMap { $0.close() }.recover { _ in })
            case .waitingToReconnect(let scheduled):
                scheduled.cancel()
            case .idle, .shutdown:
                break
            }
            slots[index].state = .shutdown
        }
        return EventLoopFuture.andAllComplete(closing, on: eventLoop)
    }

    /// The channel's `RedisFlushCoalescer` turns the flushes of one tick into batched writes.
    private func write(_ encoded: ByteBuffer, to channel: any Channel) -> EventLoopFuture<RESPValue> {
        guard channel.isActive else {
            return eventLoop.makeFailedFuture(RedisClientError(.connectionClosed))
        }
        let promise = eventLoop.makePromise(of: RESPValue.self)
        channel.writeAndFlush(RedisCommand(encoded: encoded, promise: promise), promise: nil)
        return promise.futureResult
    }

    private func connect(slot index: Int) -> EventLoopFuture<any Channel> {
        let configuration = self.configuration
        let logger = self.logger
        let connected = ClientBootstrap(group: eventLoop)
            .connectTimeout(configuration.connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        RedisFlushCoalescer(maximumCommandsPerFlush: configuration.maximumCommandsPerFlush)
                    )
                    try channel.pipeline.syncOperations.addHandler(
                        RedisChannelHandler(
                            commandTimeout: configuration.commandTimeout,
                            maximumReplyBytes: configuration.maximumReplyBytes,
                            logger: logger
                        )
                    )
                }
            }
            .connect(host: endpoint.host, port: endpoint.port)
            .flatMapError { error in
                self.eventLoop.makeFailedFuture(RedisClientError(.connectFailed, "\(self.endpoint.host):\(self.endpoint.port): \(error)"))
            }
            .flatMap { channel in
                self.handshake(channel).map { channel }.flatMapError { error in
                    channel.close(promise: nil)
                    return self.eventLoop.makeFailedFuture(error)
                }
            }
        slots[index].state = .connecting(connected)
        connected.whenComplete { result in
            switch result {
            case .success(let channel):
                self.connected(channel, slot: index)
            case .failure(let error):
                self.connectFailed(error, slot: index)
            }
        }
        return connected
    }

    /// `AUTH` and `SELECT`, pipelined, before the connection takes any other command.
    private func handshake(_ channel: any Channel) -> EventLoopFuture<Void> {
        var commands: [[String]] = []
        if let password = endpoint.password {
            commands.append(endpoint.username.map { ["AUTH", $0, password] } ?? ["AUTH", password])
        }
        if endpoint.database != 0 {
            commands.append(["SELECT", String(endpoint.database)])
        }
        guard !commands.isEmpty else { return eventLoop.makeSucceededVoidFuture() }
        let replies = commands.map { arguments in
            var encoded = channel.allocator.buffer(capacity: 64)
            RESPCommandEncoder.encode(arguments, into: &encoded)
            let promise = eventLoop.makePromise(of: RESPValue.self)
            channel.write(RedisCommand(encoded: encoded, promise: promise), promise: nil)
            return promise.futureResult.flatMapThrowing { reply in
                if case .error(let message) = reply {
                    throw RedisClientError(.handshakeFailed, "\(arguments[0]): \(message)")
                }
            }
        }
        channel.flush()
        return EventLoopFuture.andAllSucceed(replies, on: eventLoop)
    }

    private func connected(_ channel: any Channel, slot index: Int) {
        guard case .connecting = slots[index].state else {
            channel.close(promise: nil)
            return
        }
        if slots[index].wasConnected || slots[index].backoff > configuration.reconnectBackoffMinimum {
            logger.info("redis connection up", metadata: ["redis": "\(endpoint.host):\(endpoint.port)"])
        }
        slots[index].state = .connected(channel)
        slots[index].wasConnected = true
        slots[index].backoff = configuration.reconnectBackoffMinimum
        channel.closeFuture.whenComplete { _ in
            self.connectionClosed(channel, slot: index)
        }
    }

    private func connectionClosed(_ channel: any Channel, slot index: Int) {
        guard case .connected(let current) = slots[index].state, current === channel else { return }
        logger.warning("redis connection lost", metadata: ["redis": "\(endpoint.host):\(endpoint.port)"])
        scheduleReconnect(slot: index)
    }

    private func connectFailed(_ error: any Error, slot index: Int) {
        guard case .connecting = slots[index].state else { return }
        if slots[index].backoff == configuration.reconnectBackoffMinimum {
            logger.warning("redis connect failed", metadata: ["error": "\(error)"])
        } else {
            logger.debug("redis connect failed", metadata: ["error": "\(error)"])
        }
        scheduleReconnect(slot: index)
    }

    private func scheduleReconnect(slot index: Int) {
        let delay = slots[index].backoff
        slots[index].backoff = min(delay * 2, configuration.reconnectBackoffMaximum)
        let scheduled = eventLoop.scheduleTask(in: delay) {
            guard case .waitingToReconnect = self.slots[index].state else { return }
            self.reconnects.increment()
            _ = self.connect(slot: index)
        }
        slots[index].state = .waitingToReconnect(scheduled)
    }
}
