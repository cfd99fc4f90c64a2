import Logging
import NIOCore
import NIOPosix
import RateLimit
import RedisClient
import Testing

@Suite(.timeLimit(.minutes(1))) struct RedisClientIntegrationTests {
    private let group = MultiThreadedEventLoopGroup.singleton
    private let logger = Logger(label: "test.redis")
    /// These tests are about replies, not timeouts: while the whole suite starts at once on two
    /// cores, the shared loops can be busy past the default 500 ms (seen as `commandTimeout`).
    private static var patient: RedisClient.Configuration {
        var configuration = RedisClient.Configuration()
        configuration.commandTimeout = .seconds(10)
        return configuration
    }

    @Test func setGetAndPing() async throws {
        let client = try RedisClient(url: TestServices.redisURL, eventLoopGroup: group, configuration: Self.patient, logger: logger)
        let key = TestServices.unique("redis_setget")
        let loop = group.next()
        try await client.ping(on: loop).get()
        #expect(try await client.send(["SET", key, "v", "PX", "10000"], on: loop).get() == .simpleString("OK"))
        #expect(try await client.send(["GET", key], on: loop).get().string == "v")
        #expect(try await client.send(["GET", key + "_missing"], on: loop).get() == .null)
        #expect(try await client.send(["NOSUCHCOMMAND"], on: loop).get().isError)
        await client.shutdown()
    }

    @Test func pipelinedCommandsGetTheirOwnReplies() async throws {
        var configuration = Self.patient
        configuration.connectionsPerEventLoop = 2
        let client = try RedisClient(url: TestServices.redisURL, eventLoopGroup: group, configuration: configuration, logger: logger)
        let prefix = TestServices.unique("redis_pipeline")
        let loop = group.next()
        let replies = try await loop.flatSubmit {
            let futures = (0..<500).map { index in
                client.send(["SET", "\(prefix):\(index)", String(index), "PX", "10000"], on: loop)
                    .flatMap { _ in client.send(["GET", "\(prefix):\(index)"], on: loop) }
            }
            return EventLoopFuture.whenAllSucceed(futures, on: loop)
        }.get()
        #expect(replies.map(\.string) == (0..<500).map { String($0) })
        await client.shutdown()
    }

    @Test func commandsFromAForeignLoopCompleteOnIt() async throws {
        let client = try RedisClient(url: TestServices.redisURL, eventLoopGroup: group, configuration: Self.patient, logger: logger)
        let other = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = other.next()
        let onLoop = try await client.send(["PING"], on: loop).map { _ in loop.inEventLoop }.get()
        #expect(onLoop)
        await client.shutdown()
        try await other.shutdownGracefully()
    }

    @Test func failsFastWhileRedisIsAway() async throws {
        let server = try await RedisPrivateServer()
        let url = server.url
        server.stop()
        let client = try RedisClient(url: url, eventLoopGroup: group, logger: logger)
        await #expect(throws: RedisClientError.self) { try await client.ping(on: group.next()).get() }
        await client.shutdown()
    }

    @Test func authAndSelectOnConnect() async throws {
        let server = try await RedisPrivateServer()
        server.cli("CONFIG", "SET", "requirepass", "s3cr:t")
        let client = try RedisClient(url: "redis://:s3cr%3At@127.0.0.1:\(server.port)/2", eventLoopGroup: group, configuration: Self.patient,
                                     logger: logger)
        let loop = group.next()
        #expect(try await client.send(["SET", "k", "in-db-2"], on: loop).get() == .simpleString("OK"))
        #expect(server.cli("-a", "s3cr:t", "--no-auth-warning", "-n", "2", "GET", "k") == "in-db-2")
        let wrong = try RedisClient(url: "redis://:nope@127.0.0.1:\(server.port)", eventLoopGroup: group, logger: logger)
        await #expect(throws: RedisClientError.self) { try await wrong.ping(on: loop).get() }
        await client.shutdown()
        await wrong.shutdown()
        server.stop()
    }

    @Test func nonceIsFirstSeenOnce() async throws {
        let client = try RedisClient(url: TestServices.redisURL, eventLoopGroup: group, configuration: Self.patient, logger: logger)
        let nonces = NonceStore(redis: client)
        let key = TestServices.unique("redis_nonce")
        let loop = group.next()
        #expect(try await nonces.firstSeen(key, ttlMilliseconds: 10_000, on: loop).get())
        #expect(try await !nonces.firstSeen(key, ttlMilliseconds: 10_000, on: loop).get())
        #expect(try await nonces.firstSeen(key + "_other", ttlMilliseconds: 10_000, on: loop).get())
        await client.shutdown()
    }
}
