import InletModel
import Logging
import NIOCore
import NIOPosix
import RateLimit
import RedisClient
import Testing

@Suite(.timeLimit(.minutes(1))) struct RateLimitIntegrationTests {
    private let group = MultiThreadedEventLoopGroup.singleton
    private let logger = Logger(label: "test.ratelimit")

    private func client(_ url: String = TestServices.redisURL) throws -> RedisClient {
        var configuration = RedisClient.Configuration()
        // Generous: the suite runs in parallel on two cores, and a timed-out check would look like
        // Redis being down. A killed Redis closes its connections, which fails commands at once.
        configuration.commandTimeout = .seconds(3)
        configuration.reconnectBackoffMaximum = .milliseconds(200)
        return try RedisClient(url: url, eventLoopGroup: group, configuration: configuration, logger: logger)
    }

    @Test func scriptDigestMatchesRedis() async throws {
        let redis = try client()
        let reply = try await redis.send(["SCRIPT", "LOAD", GCRAScript.source], on: group.next()).get()
        #expect(reply.string == GCRAScript.sha1)
        await redis.shutdown()
    }

    @Test func limitsToBurstPlusRateAndAnswersWithHeaders() async throws {
        let redis = try client()
        let limiter = RateLimiter(redis: redis, logger: logger)
        let tenant = TestServices.unique("rl_rate")
        let policy = RateLimitPolicy(perSecond: 20, burst: 10, onRedisDown: .closed)
        let loop = group.next()

        // Sent together (pipelined), so hardly any time passes to refill between them.
        let burst = try await loop.flatSubmit {
            EventLoopFuture.whenAllSucceed(
                (0..<15).map { _ in limiter.check(tenantId: tenant, sourceId: "web", policy: policy, cost: 1, on: loop) },
                on: loop
            )
        }.get()
        let allowedAtOnce = burst.filter(\.allowed).count
        #expect((10...11).contains(allowedAtOnce))
        let refused = try #require(burst.last)
        #expect(!refused.allowed && !refused.unavailable)
        let headers = Dictionary(uniqueKeysWithValues: refused.headers)
        #expect(headers["RateLimit-Limit"] == "10")
        #expect(headers["RateLimit-Remaining"] == "0")
        #expect(headers["Retry-After"] == "1")
        #expect(Int(headers["RateLimit-Reset"] ?? "") ?? 0 >= 1)

        // Cost is events. The refill is checked against Redis's own clock, not ours: the reset
        // the refused answer names is when the bucket is full again, so after waiting it out a
        // request of the whole burst passes, and one more event right after it does not.
        let reset = Int(headers["RateLimit-Reset"] ?? "") ?? 1
        try await Task.sleep(for: .seconds(reset) + .milliseconds(100))
        let pair = try await loop.flatSubmit {
            EventLoopFuture.whenAllSucceed(
                (0..<2).map { _ in limiter.check(tenantId: tenant, sourceId: "web", policy: policy, cost: 10, on: loop) },
                on: loop
            )
        }.get()
        #expect(pair.map(\.allowed) == [true, false])

        // More events than the burst: refused until the bucket is full, with a Retry-After that
        // says when; on a full bucket allowed, leaving it in debt. One event per 1,000 s, so no
        // refill between the calls however loaded the machine is.
        let slow = RateLimitPolicy(perSecond: 0.001, burst: 10, onRedisDown: .closed)
        let notFull = try await loop.flatSubmit {
            limiter.check(tenantId: tenant, sourceId: "big", policy: slow, cost: 1, on: loop).and(
                limiter.check(tenantId: tenant, sourceId: "big", policy: slow, cost: 11, on: loop))
        }.get()
        #expect(notFull.0.allowed && !notFull.1.allowed && !notFull.1.unavailable)
        #expect((990...1_000).contains(notFull.1.retryAfterSeconds ?? 0), "\(notFull.1)")
        let full = try await loop.flatSubmit {
            limiter.check(tenantId: tenant, sourceId: "big-fresh", policy: slow, cost: 11, on: loop).and(
                limiter.check(tenantId: tenant, sourceId: "big-fresh", policy: slow, cost: 1, on: loop))
        }.get()
        #expect(full.0.allowed && full.0.remaining == 0)
        #expect(!full.1.allowed && (1_990...2_000).contains(full.1.retryAfterSeconds ?? 0), "\(full.1)")
        // Asked from another thread: decided on the loop.
        let onLoop = loop.makePromise(of: Bool.self)
        limiter.check(tenantId: tenant, sourceId: "web", policy: policy, cost: 1, on: loop) { _ in onLoop.succeed(loop.inEventLoop) }
        #expect(try await onLoop.futureResult.get())
        await redis.shutdown()
    }

    @Test func twoInstancesShareOneLimit() async throws {
        let first = try client()
        let second = try client()
        let limiters = [RateLimiter(redis: first, logger: logger), RateLimiter(redis: second, logger: logger)]
        let tenant = TestServices.unique("rl_shared")
        // Nothing refills during the test, so two limits would admit 60 and one admits the burst.
        let policy = RateLimitPolicy(perSecond: 0.001, burst: 30, onRedisDown: .closed)
        let loop = group.next()
        var allowed = 0
        for index in 0..<60 {
            let decision = try await limiters[index % 2].check(tenantId: tenant, sourceId: "s", policy: policy, cost: 1, on: loop).get()
            #expect(!decision.unavailable)
            if decision.allowed { allowed += 1 }
        }
        #expect(allowed == 30)
        await first.shutdown()
        await second.shutdown()
    }

    @Test func reloadsTheScriptAfterScriptFlush() async throws {
        let server = try await RedisPrivateServer()
        let redis = try client(server.url)
        let limiter = RateLimiter(redis: redis, logger: logger)
        let policy = RateLimitPolicy(perSecond: 100, burst: 100, onRedisDown: .closed)
        let loop = group.next()
        for round in 0..<3 {
            server.cli("SCRIPT", "FLUSH")
            let decision = try await limiter.check(tenantId: "t", sourceId: "s", policy: policy, cost: 1, on: loop).get()
            #expect(decision.allowed, "round \(round)")
            #expect(!decision.unavailable, "round \(round)")
        }
        #expect(server.cli("SCRIPT", "EXISTS", GCRAScript.sha1) == "1")
        await redis.shutdown()
        server.stop()
    }

    @Test func fallsBackWhileRedisIsDownAndRecovers() async throws {
        let server = try await RedisPrivateServer()
        let redis = try client(server.url)
        let limiter = RateLimiter(redis: redis, logger: logger)
        // A rate so slow that nothing refills while the test runs, however loaded the machine is.
        let open = RateLimitPolicy(perSecond: 0.001, burst: 3, onRedisDown: .open)
        let closed = RateLimitPolicy(perSecond: 0.001, burst: 3, onRedisDown: .closed)
        let loop = group.next()
        #expect(try await limiter.check(tenantId: "t", sourceId: "closed", policy: closed, cost: 1, on: loop).get().allowed)

        server.stop()
        let fallback = try await (0..<4).asyncMap { _ in
            try await limiter.check(tenantId: "t", sourceId: "open", policy: open, cost: 1, on: loop).get()
        }
        #expect(fallback.map(\.allowed) == [true, true, true, false])
        #expect(fallback.allSatisfy { !$0.unavailable })
        let refused = try await limiter.check(tenantId: "t", sourceId: "closed", policy: closed, cost: 1, on: loop).get()
        #expect(refused.unavailable && !refused.allowed)

        try await server.start()
        var recovered: RateLimitDecision?
        for _ in 0..<100 {
            let decision = try await limiter.check(tenantId: "t", sourceId: "closed", policy: closed, cost: 1, on: loop).get()
            if !decision.unavailable {
                recovered = decision
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        // The restarted Redis is empty, so the key starts over with a full burst.
        #expect(recovered?.allowed == true)
        #expect(recovered?.remaining == 2)
        await redis.shutdown()
        server.stop()
    }
}

extension Sequence {
    /// Runs `transform` on each element in turn; the tests use it to send checks one after another.
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self {
            try await results.append(transform(element))
        }
        return results
    }
}
