import InletModel
import Logging
import NIOCore
import NIOPosix

/// inlet's MongoDB store: group commit for the hot path (`submit`), plain async calls for the
/// slow paths (reads, updates, schema, keys). libmongoc blocks, so every call into it runs on the
/// store's own `NIOThreadPool`, never on an event loop.
///
/// Call `shutdown()` before dropping the store: it flushes what is queued and stops the threads.
public final class MongoStore: Sendable {
    public let configuration: Configuration
    /// The database the URL names (or `configuration.defaultDatabase`).
    public var databaseName: String { pool.databaseName }

    let pool: MongoClientPool
    let threadPool: NIOThreadPool
    let queue: GroupCommitQueue
    let metrics = StoreMetrics()
    let logger: Logger

    public init(url: String, configuration: Configuration = Configuration(), logger: Logger = Logger(label: "inlet.store")) throws {
        self.configuration = configuration
        self.logger = logger
        pool = try MongoClientPool(url: url, configuration: configuration)
        let flushers = max(1, configuration.flushers)
        threadPool = NIOThreadPool(numberOfThreads: flushers + max(1, configuration.readThreads))
        threadPool.start()
        queue = GroupCommitQueue(
            settings: .init(
                maxBatchCount: max(1, configuration.maxBatchCount),
                maxBatchBytes: configuration.maxBatchBytes,
                maxBatchDelay: configuration.maxBatchDelay,
                retryDeadline: configuration.retryDeadline,
                maxQueuedWrites: configuration.maxQueuedWrites
            )
        )
        for _ in 0..<flushers {
            threadPool.submit { [self] state in
                guard case .active = state else { return }
                self.runFlusher()
            }
        }
    }

    /// Flushes every queued write (answering each), then stops the store's threads.
    public func shutdown() async throws {
        queue.stop()
        try await threadPool.shutdownGracefully()
    }

    /// Counters of the group commit so far.
    public var statistics: Statistics { queue.statistics }

    /// `false` while MongoDB has been unreachable for longer than the retry deadline, when
    /// `submit` refuses writes at once.
    public var isHealthy: Bool { !queue.isRefusing }

    /// Stores `writes` through the group commit and calls `completion` once, on `eventLoop`, with
    /// one outcome per write, in order, when every write is confirmed by MongoDB or given up on.
    /// The hot path's form: a callback costs less than a future per request.
    /// `consuming`: the writes are moved into the queue, not copied (see `enqueue`).
    public func submit(_ writes: consuming [StoreWrite], on eventLoop: any EventLoop,
                       completion: @escaping @Sendable ([StoreOutcome]) -> Void) {
        enqueue(writes, on: eventLoop, completion: completion)
    }

    /// `submit(_:on:completion:)` as a future.
    public func submit(_ writes: [StoreWrite], on eventLoop: EventLoop) -> EventLoopFuture<[StoreOutcome]> {
        let promise = eventLoop.makePromise(of: [StoreOutcome].self)
        enqueue(writes, on: eventLoop) { promise.succeed($0) }
        return promise.futureResult
    }

    /// Stores `writes` through the group commit, for async callers.
    public func submit(_ writes: [StoreWrite]) async -> [StoreOutcome] {
        await withCheckedContinuation { continuation in
            enqueue(writes) { continuation.resume(returning: $0) }
        }
    }

    /// Stores `writes`, then `dependents[i]` for each `writes[i]` that came back `.stored` or
    /// `.duplicate` (campaign triggers after their event). The dependents go in a later batch,
    /// not the same bulk write: MongoDB has no cross-document atomicity without transactions, so
    /// the guarantee is ordering plus failure propagation instead. A failed dependent turns its
    /// parent's outcome into `.failed`, so the request is not acknowledged and the client's
    /// retry writes the dependents again (their deterministic `_id`s make that idempotent).
    /// `completion` is called once, on `eventLoop`, only once the dependents are durable too.
    public func submit(
        _ writes: consuming [StoreWrite], then dependents: [[StoreWrite]], on eventLoop: any EventLoop,
        completion: @escaping @Sendable ([StoreOutcome]) -> Void
    ) {
        // Most requests match no trigger rule: no second step to wait for.
        guard dependents.contains(where: { !$0.isEmpty }) else { return submit(writes, on: eventLoop, completion: completion) }
        submit(writes, on: eventLoop) { outcomes in
            var flattened: [StoreWrite] = []
            var parentOfDependent: [Int] = []
            for (index, outcome) in outcomes.enumerated() where outcome.isDurable && index < dependents.count {
                flattened.append(contentsOf: dependents[index])
                parentOfDependent.append(contentsOf: repeatElement(index, count: dependents[index].count))
            }
            guard !flattened.isEmpty else { return completion(outcomes) }
            self.submit(flattened, on: eventLoop) { [parentOfDependent] dependentOutcomes in
                var merged = outcomes
                for (position, outcome) in dependentOutcomes.enumerated() {
                    if case .failed(let reason) = outcome {
                        merged[parentOfDependent[position]] = .failed(reason: "dependent write failed: \(reason)")
                    }
                }
                completion(merged)
            }
        }
    }

    /// `submit(_:then:on:completion:)` as a future.
    public func submit(
        _ writes: [StoreWrite], then dependents: [[StoreWrite]], on eventLoop: EventLoop
    ) -> EventLoopFuture<[StoreOutcome]> {
        let promise = eventLoop.makePromise(of: [StoreOutcome].self)
        submit(writes, then: dependents, on: eventLoop) { promise.succeed($0) }
        return promise.futureResult
    }

    private func enqueue(_ writes: consuming [StoreWrite], on eventLoop: (any EventLoop)? = nil,
                         completion: @escaping @Sendable ([StoreOutcome]) -> Void) {
        let count = writes.count
        guard count > 0 else { return Self.answerNow(on: eventLoop) { completion([]) } }
        let submission = Submission(count: count, eventLoop: eventLoop, completion: completion)
        let now = NIODeadline.now()
        let action: GroupCommitStateMachine.EnqueueAction
        if count == 1 {
            // The usual request (one event): no array for its one write.
            action = queue.enqueue(CollectionOfOne(EncodedWrite(writes[0])), submission: submission, enqueuedAt: now,
                                   deadline: now + configuration.retryDeadline)
        } else {
            // Encoded here, outside the queue's lock. Each write is moved from array to array to
            // queue, not copied: `popLast` moves an element out, so the encoded writes are
            // gathered last first and the queue takes them from the back again. Copies retained
            // every event's document twice and released it twice (the request's arrays dropped).
            var reversed: [EncodedWrite] = []
            reversed.reserveCapacity(count)
            while let write = writes.popLast() { reversed.append(EncodedWrite(write)) }
            action = queue.enqueue(movingReversed: &reversed, submission: submission, enqueuedAt: now,
                                   deadline: now + configuration.retryDeadline)
        }
        switch action {
        case .enqueued:
            metrics.queueDepth.record(queue.queueDepth)
        case .refuse(let reason):
            metrics.failed.increment(by: count)
            if submission.recordAll(.failed(reason: reason)) {
                Self.answerNow(on: eventLoop, submission.complete)
            }
        }
    }

    /// An answer known at once: run here, unless the submitter waits on another thread's loop,
    /// which then runs it, as it would a flusher's answer.
    private static func answerNow(on eventLoop: (any EventLoop)?, _ answer: @escaping @Sendable () -> Void) {
        guard let eventLoop, !eventLoop.inEventLoop else { return answer() }
        eventLoop.execute(answer)
    }
}
