import NIOCore

/// What the client writes into a connection's pipeline: the encoded command and the promise its reply completes.
struct RedisCommand: Sendable {
    var encoded: ByteBuffer
    var promise: EventLoopPromise<RESPValue>
}
