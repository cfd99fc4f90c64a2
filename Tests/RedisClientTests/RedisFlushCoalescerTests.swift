import Logging
import NIOCore
import NIOEmbedded
import Testing

@testable import RedisClient

/// The flushes of a Redis connection, counted where they reach the socket (the `EmbeddedChannel`'s head).
@Suite struct RedisFlushCoalescerTests {
    /// Counts the flushes that get past the coalescer.
    private final class FlushCounter: ChannelOutboundHandler, @unchecked Sendable {
        typealias OutboundIn = ByteBuffer
        var flushes = 0

        func flush(context: ChannelHandlerContext) {
            flushes += 1
            context.flush()
        }
    }

    private let loop = EmbeddedEventLoop()
    private let counter = FlushCounter()
    private let channel: EmbeddedChannel

    init() throws {
        channel = EmbeddedChannel(loop: loop)
        try channel.pipeline.syncOperations.addHandlers(
            counter,
            RedisFlushCoalescer(maximumCommandsPerFlush: 4),
            RedisChannelHandler(commandTimeout: .seconds(1), maximumReplyBytes: 1024, logger: Logger(label: "test"))
        )
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 6379)).wait()
    }

    /// Sends a command the way `RedisLoopConnections` does: written and flushed at once.
    private func send(_ arguments: [String]) -> FutureResult<RESPValue> {
        var encoded = ByteBuffer()
        RESPCommandEncoder.encode(arguments, into: &encoded)
        let promise = loop.makePromise(of: RESPValue.self)
        channel.writeAndFlush(RedisCommand(encoded: encoded, promise: promise), promise: nil)
        return FutureResult(promise.futureResult)
    }

    /// Everything that reached the socket, as one string.
    private func written() throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }

    @Test func commandsSentInOneTickShareOneFlush() throws {
        _ = send(["GET", "a"])
        _ = send(["GET", "b"])
        _ = send(["GET", "c"])
        #expect(counter.flushes == 0)
        #expect(try written() == "")
        loop.run()
        #expect(counter.flushes == 1)
        #expect(try written() == "*2\r\n$3\r\nGET\r\n$1\r\na\r\n*2\r\n$3\r\nGET\r\n$1\r\nb\r\n*2\r\n$3\r\nGET\r\n$1\r\nc\r\n")
    }

    @Test func aCommandSentAloneLeavesAtTheEndOfItsTick() throws {
        let result = send(["PING"])
        loop.run()
        #expect(counter.flushes == 1)
        #expect(try written() == "*1\r\n$4\r\nPING\r\n")
        try channel.writeInbound(ByteBuffer(string: "+PONG\r\n"))
        #expect(result.value == .simpleString("PONG"))
    }

    @Test func everyFourthCommandLeavesAtOnceAndTheRestAtTheEndOfTheTick() throws {
        for index in 0..<10 { _ = send(["INCR", "k\(index)"]) }
        #expect(counter.flushes == 2)
        #expect(try written().components(separatedBy: "INCR").count - 1 == 8)
        loop.run()
        #expect(counter.flushes == 3)
        #expect(try written().components(separatedBy: "INCR").count - 1 == 2)
    }

    @Test func aTickWithNothingLeftToSendDoesNotFlushAgain() throws {
        for index in 0..<4 { _ = send(["INCR", "k\(index)"]) }
        loop.run()
        #expect(counter.flushes == 1)
    }

    @Test func closeSendsTheCommandsStillWaitingForTheirFlush() throws {
        _ = send(["QUIT"])
        _ = channel.close()
        #expect(counter.flushes == 1)
    }
}
