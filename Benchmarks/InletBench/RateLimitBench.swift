import ArgumentParser
import InletModel
import Logging
import NIOCore
import NIOPosix
import RateLimit
import RedisClient

/// `inlet-bench ratelimit`: decisions per second through `RateLimiter.check` with `depth` checks
/// outstanding on one event loop, to compare with `redis-benchmark` running `EVALSHA` of the same
/// script (`--print-script` prints it for `scripts/bench`).
struct RateLimitBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ratelimit",
        abstract: "GCRA decisions per second through RateLimiter against a Redis."
    )

    @Option(help: "Redis URL.")
    var url = "redis://127.0.0.1:16379"

    @Option(help: "Decisions per run.")
    var count = 200_000

    @Option(help: "Checks outstanding at once (pipelining depth).")
    var depth = 256

    @Option(help: "Distinct tenant sources the checks spread over.")
    var keys = 1_000

    @Flag(help: "Print the GCRA Lua script and its SHA-1, then exit.")
    var printScript = false

    func run() async throws {
        if printScript {
            print(GCRAScript.source)
            print("-- sha1: \(GCRAScript.sha1)")
            return
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let redis = try RedisClient(url: url, eventLoopGroup: group, logger: Logger(label: "bench.redis"))
        let limiter = RateLimiter(redis: redis, logger: Logger(label: "bench.ratelimit"))
        let loop = group.next()
        let prefix = "bench\(UInt32.random(in: .min ... .max))"
        // Warm up: connect and load the script.
        _ = try await limiter.check(tenantId: prefix, sourceId: "0", policy: .init(perSecond: 1e6, burst: 1_000_000), cost: 1, on: loop).get()

        let clock = ContinuousClock()
        let start = clock.now
        let run = try await loop.flatSubmit {
            RateLimitBenchRun(limiter: limiter, loop: loop, prefix: prefix, count: count, depth: depth, keys: keys).start()
        }.get()
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("ratelimit: \(count) decisions, depth \(depth), \(keys) keys: \(Int(Double(count) / seconds)) decisions/s")
        print("  allowed \(run.allowed), limited \(run.limited), unavailable \(run.unavailable)")
        await redis.shutdown()
        try await group.shutdownGracefully()
    }
}

/// Keeps `depth` checks in flight on one loop; every property is touched only on that loop.
final class RateLimitBenchRun: @unchecked Sendable {
    private let limiter: RateLimiter
    private let loop: any EventLoop
    private let prefix: String
    private let count: Int
    private let depth: Int
    private let keys: Int
    private let policy = RateLimitPolicy(perSecond: 1_000, burst: 10_000, onRedisDown: .closed)
    private var issued = 0
    private var completed = 0
    private(set) var allowed = 0
    private(set) var limited = 0
    private(set) var unavailable = 0
    private let done: EventLoopPromise<RateLimitBenchRun>

    init(limiter: RateLimiter, loop: any EventLoop, prefix: String, count: Int, depth: Int, keys: Int) {
        self.limiter = limiter
        self.loop = loop
        self.prefix = prefix
        self.count = count
        self.depth = max(1, depth)
        self.keys = max(1, keys)
        self.done = loop.makePromise()
    }

    func start() -> EventLoopFuture<RateLimitBenchRun> {
        for _ in 0..<min(depth, count) { launch() }
        return done.futureResult
    }

    private func launch() {
        guard issued < count else { return }
        let source = String(issued % keys)
        issued += 1
        limiter.check(tenantId: prefix, sourceId: source, policy: policy, cost: 1, on: loop).whenComplete { result in
            switch result {
            case .success(let decision) where decision.unavailable: self.unavailable += 1
            case .success(let decision) where decision.allowed: self.allowed += 1
            case .success, .failure: self.limited += 1
            }
            self.completed += 1
            if self.completed == self.count {
                self.done.succeed(self)
            } else {
                self.launch()
            }
        }
    }
}
