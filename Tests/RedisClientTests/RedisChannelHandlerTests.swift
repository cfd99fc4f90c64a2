import Logging
import NIOCore
import NIOEmbedded
import Testing

@testable import RedisClient

/// The test plays Redis on an `EmbeddedChannel`: it reads what the handler writes and feeds replies.
@Suite struct RedisChannelHandlerTests {
    private let loop = EmbeddedEventLoop()
    private let channel: EmbeddedChannel

    init() throws {
        channel = EmbeddedChannel(
            handler: RedisChannelHandler(commandTimeout: .milliseconds(100), maximumReplyBytes: 1024, logger: Logger(label: "test")),
            loop: loop
        )
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 6379)).wait()
    }

    private func send(_ arguments: [String]) throws -> FutureResult<RESPValue> {
        var encoded = ByteBuffer()
        RESPCommandEncoder.encode(arguments, into: &encoded)
        let promise = loop.makePromise(of: RESPValue.self)
        try channel.writeOutbound(RedisCommand(encoded: encoded, promise: promise))
        return FutureResult(promise.futureResult)
    }

    @Test func writesTheEncodedCommand() throws {
        _ = try send(["PING"])
        let written = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(String(buffer: written) == "*1\r\n$4\r\nPING\r\n")
    }

    @Test func pipelinedRepliesCompleteCommandsInOrder() throws {
        let results = try (0..<50).map { try send(["INCR", "k\($0)"]) }
        #expect(results.allSatisfy { $0.result == nil })
        try channel.writeInbound(ByteBuffer(string: (0..<50).map { ":\($0)\r\n" }.joined()))
        #expect(results.map(\.value) == (0..<50).map { .integer(Int64($0)) })
    }

    @Test func errorAndNullRepliesAreValues() throws {
        let first = try send(["EVALSHA", "x", "0"])
        let second = try send(["GET", "missing"])
        let third = try send(["LRANGE", "l", "0", "-1"])
        try channel.writeInbound(ByteBuffer(string: "-NOSCRIPT No matching script\r\n$-1\r\n*2\r\n*1\r\n:1\r\n$1\r\na\r\n"))
        #expect(first.value == .error("NOSCRIPT No matching script"))
        #expect(second.value == .null)
        #expect(third.value == .array([.array([.integer(1)]), .bulkString(ByteBuffer(string: "a"))]))
    }

    @Test func aReplySplitAcrossReadsCompletesOnce() throws {
        let result = try send(["GET", "k"])
        for byte in "$5\r\nhello\r\n".utf8 {
            #expect(result.result == nil)
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
        }
        #expect(result.value == .bulkString(ByteBuffer(string: "hello")))
    }

    @Test func aLateReplyIsDiscardedAndTheNextCommandGetsItsOwn() throws {
        let slow = try send(["GET", "slow"])
        loop.advanceTime(by: .milliseconds(60))
        let fast = try send(["GET", "fast"])
        loop.advanceTime(by: .milliseconds(50))
        #expect((slow.error as? RedisClientError)?.code == .commandTimeout)
        #expect(fast.result == nil)

        try channel.writeInbound(ByteBuffer(string: "$4\r\nslow\r\n"))
        #expect(fast.result == nil)
        try channel.writeInbound(ByteBuffer(string: "$4\r\nfast\r\n"))
        #expect(fast.value == .bulkString(ByteBuffer(string: "fast")))
        #expect(channel.isActive)
    }

    @Test func aTimedOutCommandAfterAReplyStillFailsLaterCommands() throws {
        let first = try send(["PING"])
        try channel.writeInbound(ByteBuffer(string: "+PONG\r\n"))
        let second = try send(["PING"])
        loop.advanceTime(by: .milliseconds(150))
        #expect(first.value == .simpleString("PONG"))
        #expect((second.error as? RedisClientError)?.code == .commandTimeout)
    }

    @Test func garbageClosesTheConnectionAndFailsEveryPendingCommand() throws {
        let results = try (0..<3).map { _ in try send(["PING"]) }
        #expect(throws: Never.self) { try channel.writeInbound(ByteBuffer(string: "+PONG\r\n!garbage\r\n")) }
        #expect(results[0].value == .simpleString("PONG"))
        #expect((results[1].error as? RedisClientError)?.code == .protocolError)
        #expect((results[2].error as? RedisClientError)?.code == .protocolError)
        #expect(!channel.isActive)
        let after = try? send(["PING"])
        #expect(after?.value == nil)
    }

    @Test func anUnaskedReplyClosesTheConnection() throws {
        try channel.writeInbound(ByteBuffer(string: "+OK\r\n"))
        #expect(!channel.isActive)
    }

    @Test func closeFailsPendingCommands() throws {
        let result = try send(["PING"])
        try channel.close().wait()
        #expect((result.error as? RedisClientError)?.code == .connectionClosed)
    }
}
