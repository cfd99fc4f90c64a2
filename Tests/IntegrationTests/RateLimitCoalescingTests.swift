import InletModel
import Logging
import NIOCore
import NIOPosix
import RateLimit
import RedisClient
import Testing

/// Checks of one key asked for in one event-loop tick are decided with one `EVALSHA` of their
/// summed cost. Each test counts the `EVALSHA` calls on a Redis of its own (`INFO commandstats`),
/// so parallel tests do not disturb the count. Serialized, so its servers do not all start at once
/// alongside the rest of the suite on a small machine.
@Suite(.serialized, .timeLimit(.minutes(1))) struct RateLimitCoalescingTests {
    private let group = MultiThreadedEventLoopGroup.singleton
    private let logger = Logger(label: "test.ratelimit.coalescing")
    /// No refill while a test runs, so every count is exact however loaded the machine is.
    private static let interval: Int64 = 1_000_000_000

    private struct Request {
        var source: String
        var cost = 1
        var policy = RateLimitPolicy(perSecond: 0.001, burst: 10, onRedisDown: .closed)
    }

    private func client(_ url: String, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) throws -> RedisClient {
        var configuration = RedisClient.Configuration()
        // Generous: a timed-out check would look like Redis being down (see RateLimitIntegrationTests).
        configuration.commandTimeout = .seconds(3)
        configuration.reconnectBackoffMaximum = .milliseconds(200)
        return try RedisClient(url: url, eventLoopGroup: group, configuration: configuration, logger: logger)
    }

    /// Issues every request from one task on `loop`, so they all arrive before the loop runs its queued tasks.
    private func inOneTick(_ limiter: RateLimiter, _ requests: [Request], on loop: any EventLoop) async throws -> [RateLimitDecision] {
        try await loop.flatSubmit {
            EventLoopFuture.whenAllSucceed(
                requests.map { limiter.check(tenantId: "t", sourceId: $0.source, policy: $0.policy, cost: $0.cost, on: loop) },
                on: loop
            )
        }.get()
    }

    /// The same requests, each sent after the previous one was answered: today's behaviour without coalescing.
    private func oneByOne(_ limiter: RateLimiter, _ requests: [Request], on loop: any EventLoop) async throws -> [RateLimitDecision] {
        var decisions: [RateLimitDecision] = []
        for request in requests {
            try await decisions.append(limiter.check(tenantId: "t", sourceId: request.source, policy: request.policy, cost: request.cost, on: loop).get())
        }
        return decisions
    }

    /// A decision without its times: deciding one by one, each call sees a later Redis clock, so
    /// on a loaded machine its reset and retry-after can be seconds shorter.
    private struct Timeless: Equatable {
        var allowed: Bool
        var limit: Int
        var remaining: Int
        var refusedForNow: Bool
        var unavailable: Bool

        init(_ decision: RateLimitDecision) {
            allowed = decision.allowed
            limit = decision.limit
            remaining = decision.remaining
            refusedForNow = decision.retryAfterSeconds != nil
            unavailable = decision.unavailable
        }
    }

    /// A server with the script loaded and its command statistics reset.
    private func freshServer(_ limiter: (RedisClient) -> RateLimiter) async throws -> (RedisPrivateServer, RedisClient, RateLimiter) {
        let server = try await RedisPrivateServer()
        let redis = try client(server.url)
        let rateLimiter = limiter(redis)
        _ = try await rateLimiter.check(tenantId: "warm", sourceId: "up", policy: .init(perSecond: 1, burst: 1), cost: 1, on: group.next()).get()
        try await resetStatistics(redis)
        return (server, redis, rateLimiter)
    }

    /// Through the client rather than `redis-cli`: a process per question loads a small machine.
    private func resetStatistics(_ redis: RedisClient) async throws {
        _ = try await redis.send(["CONFIG", "RESETSTAT"], on: group.next()).get()
    }

    private func evalshaCalls(_ redis: RedisClient) async throws -> Int {
        let stats = try await redis.send(["INFO", "commandstats"], on: group.next()).get().string ?? ""
        guard let line = stats.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("cmdstat_evalsha:") }),
              let calls = line.split(separator: ",").first?.split(separator: "=").last
        else { return 0 }
        return Int(calls) ?? -1
    }

    @Test func oneTickOfOneKeyIsOneEvalsha() async throws {
        let (server, redis, limiter) = try await freshServer { RateLimiter(redis: $0, logger: logger) }
        let policy = RateLimitPolicy(perSecond: 0.001, burst: 100, onRedisDown: .closed)
        let decisions = try await inOneTick(limiter, Array(repeating: Request(source: "web", policy: policy), count: 20), on: group.next())
        #expect(try await evalshaCalls(redis) == 1)
        #expect(decisions.allSatisfy { $0.allowed && !$0.unavailable && $0.limit == 100 && $0.retryAfterSeconds == nil })
        // As if decided one after the other: each sees the events of the ones after it as still
        // remaining, and its bucket refills that much sooner (the key was empty: the TAT starts now).
        #expect(decisions.map(\.remaining) == Array((80...99).reversed()))
        #expect(decisions.map(\.resetSeconds) == (1...20).map { $0 * Int(Self.interval / 1_000_000) })
        // Redis holds the state of all twenty.
        let next = try await limiter.check(tenantId: "t", sourceId: "web", policy: policy, cost: 1, on: group.next()).get()
        #expect(next.allowed && next.remaining == 79)
        await redis.shutdown()
        server.stop()
    }

    @Test func nearTheLimitDecidesLikeOneByOne() async throws {
        let (server, redis, limiter) = try await freshServer { RateLimiter(redis: $0, logger: logger) }
        let loop = group.next()

        // 15 events against a burst of 10 can never fit as one: one call each, in arrival order.
        let fifteen = try await inOneTick(limiter, Array(repeating: Request(source: "a"), count: 15), on: loop)
        #expect(try await evalshaCalls(redis) == 15)
        #expect(fifteen.map(\.allowed) == Array(repeating: true, count: 10) + Array(repeating: false, count: 5))
        #expect(fifteen.map(\.remaining) == Array((0...9).reversed()) + Array(repeating: 0, count: 5))
        for refused in fifteen.suffix(5) {
            #expect(!refused.unavailable)
            // One event refills every 1,000 s.
            #expect(Dictionary(uniqueKeysWithValues: refused.headers)["Retry-After"] == "1000")
        }
        let reference = try await oneByOne(limiter, Array(repeating: Request(source: "a-ref"), count: 15), on: loop)
        #expect(fifteen.map(Timeless.init) == reference.map(Timeless.init))
        // Pipelined in one tick, the calls see (nearly) one Redis clock: exact times.
        #expect(fifteen.map(\.resetSeconds) == (1...10).map { $0 * 1_000 } + Array(repeating: 10_000, count: 5))

        // 6 more events fit the burst but not the 4 left: the summed call is refused and changes
        // nothing, and each check is decided again alone.
        for source in ["b", "b-ref"] {
            _ = try await limiter.check(tenantId: "t", sourceId: source, policy: Request(source: source).policy, cost: 6, on: loop).get()
        }
        try await resetStatistics(redis)
        let six = try await inOneTick(limiter, Array(repeating: Request(source: "b"), count: 6), on: loop)
        #expect(try await evalshaCalls(redis) == 1 + 6)
        #expect(six.map(\.allowed) == [true, true, true, true, false, false])
        #expect(six.map(\.remaining) == [3, 2, 1, 0, 0, 0])
        // About one interval: the key's first 6 events were taken a moment before (seconds, on a
        // loaded machine), and Retry-After counts from then.
        #expect(six.suffix(2).allSatisfy { (990...1_000).contains($0.retryAfterSeconds ?? 0) && !$0.unavailable },
                "\(six.suffix(2).map(\.retryAfterSeconds))")
        let sixReference = try await oneByOne(limiter, Array(repeating: Request(source: "b-ref"), count: 6), on: loop)
        #expect(sixReference.map(Timeless.init) == six.map(Timeless.init))
        // Each allowed one pushes the reset by one interval; the refused ones change nothing. (The
        // key's first 6 events were taken a moment ago, so the absolute reset can be a second less.)
        let steps = six.map { $0.resetSeconds - six[0].resetSeconds }
        #expect(zip(steps, [0, 1_000, 2_000, 3_000, 3_000, 3_000]).allSatisfy { abs($0 - $1) <= 1 }, "\(steps)")
        await redis.shutdown()
        server.stop()
    }

    @Test func mixedCostsWithOneAboveTheBurst() async throws {
        let (server, redis, limiter) = try await freshServer { RateLimiter(redis: $0, logger: logger) }
        let loop = group.next()
        let costs = [3, 11, 2, 4]
        let decisions = try await inOneTick(limiter, costs.map { Request(source: "mixed", cost: $0) }, on: loop)
        // 20 events are more than the burst, so each check is its own call. The 11, above the
        // burst, passes only on a full bucket: after the 3 it must wait until they are paid for.
        #expect(try await evalshaCalls(redis) == 4)
        #expect(decisions.map(\.allowed) == [true, false, true, true])
        #expect((2_990...3_000).contains(decisions[1].retryAfterSeconds ?? 0), "\(decisions[1].retryAfterSeconds as Int?)")
        #expect(decisions.map(\.remaining) == [7, 7, 5, 1])
        #expect(zip(decisions.map(\.resetSeconds), [3_000, 3_000, 5_000, 9_000]).allSatisfy { abs($0 - $1) <= 10 })
        let reference = try await oneByOne(limiter, costs.map { Request(source: "mixed-ref", cost: $0) }, on: loop)
        #expect(reference.map(Timeless.init) == decisions.map(Timeless.init))

        // Two more of 1 and 2 fit the one event left only in part: the first is allowed, the second not.
        let tail = try await inOneTick(limiter, [Request(source: "mixed", cost: 1), Request(source: "mixed", cost: 2)], on: loop)
        #expect(tail.map(\.allowed) == [true, false])
        let tailReference = try await oneByOne(limiter, [Request(source: "mixed-ref", cost: 1), Request(source: "mixed-ref", cost: 2)], on: loop)
        #expect(tailReference.map(Timeless.init) == tail.map(Timeless.init))

        // On a full bucket the 11 passes and leaves the key one event in debt.
        let big = try await inOneTick(limiter, [Request(source: "big", cost: 11), Request(source: "big", cost: 1)], on: loop)
        #expect(big.map(\.allowed) == [true, false])
        #expect(big.map(\.remaining) == [0, 0])
        #expect((1_990...2_000).contains(big[1].retryAfterSeconds ?? 0), "\(big[1].retryAfterSeconds as Int?)")
        await redis.shutdown()
        server.stop()
    }

    @Test func twoKeysInOneTickAreTwoGroups() async throws {
        let (server, redis, limiter) = try await freshServer { RateLimiter(redis: $0, logger: logger) }
        let requests = (0..<10).map { Request(source: $0.isMultiple(of: 2) ? "even" : "odd") }
        let decisions = try await inOneTick(limiter, requests, on: group.next())
        #expect(try await evalshaCalls(redis) == 2)
        #expect(decisions.allSatisfy { $0.allowed })
        let even = decisions.enumerated().filter { $0.offset.isMultiple(of: 2) }.map(\.element.remaining)
        let odd = decisions.enumerated().filter { !$0.offset.isMultiple(of: 2) }.map(\.element.remaining)
        #expect(even == [9, 8, 7, 6, 5])
        #expect(odd == [9, 8, 7, 6, 5])
        await redis.shutdown()
        server.stop()
    }

    @Test func checksOnTwoLoopsAreGroupedPerLoop() async throws {
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let server = try await RedisPrivateServer()
        let redis = try client(server.url, group: loops)
        let limiter = RateLimiter(redis: redis, logger: logger)
        let (first, second) = (loops.next(), loops.next())
        #expect(first !== second)
        for loop in [first, second] {
            _ = try await limiter.check(tenantId: "warm", sourceId: "up", policy: .init(perSecond: 1, burst: 1), cost: 1, on: loop).get()
        }
        try await resetStatistics(redis)

        // Six from each loop at once against a burst of 10: one loop's sum fits, the other's (6 of
        // the 4 left) is refused and decided one by one, so exactly 10 get through.
        async let fromFirst = inOneTick(limiter, Array(repeating: Request(source: "shared"), count: 6), on: first)
        async let fromSecond = inOneTick(limiter, Array(repeating: Request(source: "shared"), count: 6), on: second)
        let decisions = try await [fromFirst, fromSecond]
        #expect(decisions.joined().filter { $0.allowed }.count == 10)
        #expect(decisions.contains { $0.allSatisfy { $0.allowed } })
        #expect(decisions.contains { $0.map(\.allowed) == [true, true, true, true, false, false] })
        #expect(try await evalshaCalls(redis) == 1 + 1 + 6)
        await redis.shutdown()
        server.stop()
        try await loops.shutdownGracefully()
    }

    @Test func reloadsTheScriptForAGroup() async throws {
        let (server, redis, limiter) = try await freshServer { RateLimiter(redis: $0, logger: logger) }
        _ = try await redis.send(["SCRIPT", "FLUSH"], on: group.next()).get()
        let decisions = try await inOneTick(limiter, Array(repeating: Request(source: "flushed"), count: 5), on: group.next())
        #expect(decisions.map(\.allowed) == Array(repeating: true, count: 5))
        #expect(decisions.map(\.remaining) == [9, 8, 7, 6, 5])
        // The NOSCRIPT answer and the retry of the one summed call.
        #expect(try await evalshaCalls(redis) == 2)
        await redis.shutdown()
        server.stop()
    }

    @Test func aGroupFallsBackPerPolicyWhileRedisIsDown() async throws {
        let (server, redis, limiter) = try await freshServer { RateLimiter(redis: $0, logger: logger) }
        let loop = group.next()
        let open = RateLimitPolicy(perSecond: 0.001, burst: 10, onRedisDown: .open)
        let closed = RateLimitPolicy(perSecond: 0.001, burst: 10, onRedisDown: .closed)
        server.stop()

        let requests = Array(repeating: Request(source: "open", policy: open), count: 4)
            + Array(repeating: Request(source: "closed", policy: closed), count: 4)
            + [Request(source: "open-big", cost: 6, policy: open), Request(source: "open-big", cost: 6, policy: open)]
        let decisions = try await inOneTick(limiter, requests, on: loop)
        // Open: the in-process GCRA decides each check in arrival order; closed: each is unavailable.
        #expect(decisions.prefix(4).map(\.allowed) == [true, true, true, true])
        #expect(decisions.prefix(4).map(\.remaining) == [9, 8, 7, 6])
        #expect(decisions.prefix(4).allSatisfy { !$0.unavailable })
        #expect(decisions[4..<8].allSatisfy { $0.unavailable && !$0.allowed })
        #expect(decisions.suffix(2).map(\.allowed) == [true, false])

        try await server.start()
        var recovered: [RateLimitDecision] = []
        for _ in 0..<100 {
            recovered = try await inOneTick(limiter, Array(repeating: Request(source: "closed", policy: closed), count: 3), on: loop)
            if !recovered.contains(where: \.unavailable) { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(recovered.map(\.remaining) == [9, 8, 7])
        await redis.shutdown()
        server.stop()
    }
}
