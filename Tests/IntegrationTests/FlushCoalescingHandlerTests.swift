import NIOCore
import NIOEmbedded
import Testing

@testable import InletServer

/// The writes before a deferred flush leave as one buffer, in order, and every write's promise
/// completes with it; large writes pass as they are; a close sends what is pending first.
@Suite("FlushCoalescingHandler joins a tick's writes")
struct FlushCoalescingHandlerTests {
    private func makeChannel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(FlushCoalescingHandler())
        return channel
    }

    private func outbound(_ channel: EmbeddedChannel) throws -> [String] {
        var written: [String] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { written.append(String(buffer: buffer)) }
        return written
    }

    @Test("three writes and two flushes in a tick leave as one buffer, every promise completed")
    func joinsWrites() throws {
        let channel = try makeChannel()
        let promises = (0..<3).map { _ in channel.eventLoop.makePromise(of: Void.self) }
        channel.write(ByteBuffer(string: "abc"), promise: promises[0])
        channel.write(ByteBuffer(string: "def"), promise: promises[1])
        channel.flush()
        channel.write(ByteBuffer(string: "ghi"), promise: promises[2])
        channel.flush()
        #expect(try outbound(channel).isEmpty)
        channel.embeddedEventLoop.run()
        #expect(try outbound(channel) == ["abcdefghi"])
        for promise in promises { #expect(throws: Never.self) { try promise.futureResult.wait() } }
        _ = try channel.finish()
    }

    @Test("a single write is passed on as it is")
    func singleWrite() throws {
        let channel = try makeChannel()
        channel.writeAndFlush(ByteBuffer(string: "only"), promise: nil)
        channel.embeddedEventLoop.run()
        #expect(try outbound(channel) == ["only"])
        _ = try channel.finish()
    }

    @Test("a write over the join limit goes on its own, after what was joined before it")
    func largeWrite() throws {
        let channel = try makeChannel()
        let large = String(repeating: "x", count: FlushCoalescingHandler.joinLimit + 1)
        channel.write(ByteBuffer(string: "a"), promise: nil)
        channel.write(ByteBuffer(string: "b"), promise: nil)
        channel.write(ByteBuffer(string: large), promise: nil)
        channel.write(ByteBuffer(string: "c"), promise: nil)
        channel.flush()
        channel.embeddedEventLoop.run()
        #expect(try outbound(channel) == ["ab", large, "c"])
        _ = try channel.finish()
    }

    @Test("a close sends the pending writes first")
    func closeSendsPending() throws {
        let channel = try makeChannel()
        channel.write(ByteBuffer(string: "last"), promise: nil)
        channel.write(ByteBuffer(string: " words"), promise: nil)
        channel.flush()
        channel.close(promise: nil)
        #expect(try outbound(channel) == ["last words"])
    }
}
