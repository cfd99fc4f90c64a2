import NIOCore

/// The group-commit queue: writes from many submitters wait here until a flusher takes them as
/// one batch. I/O-free: the flusher loop (`MongoStore+Flushing.swift`) asks it what to do next
/// and reports what happened; every decision (when to flush, what to refuse, when to give up on
/// a write) is made here, under the store's lock.
///
///     submit ──▶ queue ──(count | bytes | delay reached)──▶ flush ──▶ confirmed ──▶ answered
///                  ▲                                          │
///                  └──── unknown (network / write concern) ◀──┘   (until the write's deadline)
///
/// While MongoDB has been unreachable for longer than the retry deadline, new writes are refused
/// at once, and an idle flusher probes the server now and then to notice its return.
struct GroupCommitStateMachine {
    struct Pending {
        var write: EncodedWrite
        var submission: Submission
        var index: Int
        var enqueuedAt: NIODeadline
        /// Past this, a write not yet confirmed is answered `.failed`.
        var deadline: NIODeadline
    }

    struct Settings {
        var maxBatchCount: Int
        var maxBatchBytes: Int
        var maxBatchDelay: TimeAmount
        var retryDeadline: TimeAmount
        var maxQueuedWrites: Int
        var probeInterval: TimeAmount = .milliseconds(250)
        var retryBackoff: TimeAmount = .milliseconds(50)
    }

    enum EnqueueAction: Equatable {
        /// Queued; wake a flusher when `wake` (the first write of a batch, or a full batch).
        case enqueued(wake: Bool)
        case refuse(reason: String)
    }

    enum FlusherAction {
        case flush([Pending])
        /// Answer these `.failed(reason)` and ask again.
        case fail([Pending], reason: String)
        case probe
        /// Sleep until the deadline (or until woken); `nil` means until woken.
        case wait(until: NIODeadline?)
        case exit
    }

    private let settings: Settings
    /// Writes in submission order; retried writes go back to the front.
    private var queue = MovingRingBuffer<Pending>()
    /// `queue`'s timings, element for element. The decisions read these numbers of the front
    /// writes, some several times; reading them off a `Pending` copied it, retaining and
    /// releasing its document and submission each time.
    private var timings = CircularBuffer<Timing>()
    private var queuedBytes = 0

    private struct Timing {
        var enqueuedAt: NIODeadline
        var deadline: NIODeadline
        var byteCount: Int

        init(_ write: Pending) {
            enqueuedAt = write.enqueuedAt
            deadline = write.deadline
            byteCount = write.write.byteCount
        }

        init(enqueuedAt: NIODeadline, deadline: NIODeadline, byteCount: Int) {
            self.enqueuedAt = enqueuedAt
            self.deadline = deadline
            self.byteCount = byteCount
        }
    }
    /// Writes taken by flushers and not yet answered or requeued: they hold memory too.
    private var inFlight = 0
    /// Bulk writes under way. While one is, a batch that is not full waits for it instead of
    /// starting its own: the waiting writes join one larger bulk (MongoDB, and SecantusDB far more
    /// so, pays per bulk as well as per document), and a second flusher only helps once the
    /// queue holds a full batch.
    private var flushesInFlight = 0
    private var pausedUntil: NIODeadline?
    private var unreachableSince: NIODeadline?
    private var lastProbe: NIODeadline?
    private var stopping = false
    private(set) var statistics = MongoStore.Statistics()

    init(settings: Settings) {
        self.settings = settings
    }

    var queueDepth: Int { queue.count }

    /// Whether MongoDB has been unreachable for longer than the retry deadline.
    func isRefusing(now: NIODeadline) -> Bool {
        guard let unreachableSince else { return false }
        return now - unreachableSince >= settings.retryDeadline
    }

    /// Queues the writes of one submission, `writes[i]` being its write `i`, all enqueued at
    /// `enqueuedAt` and given up on at `deadline`. Each write's `Pending` is made in its slot:
    /// copying a prepared array of them in retained and released every document and the
    /// submission several times per write (about 4 % of the batch scenario's CPU).
    mutating func enqueue<Writes: RandomAccessCollection<EncodedWrite>>(
        _ writes: Writes, submission: Submission, enqueuedAt: NIODeadline, deadline: NIODeadline, now: NIODeadline
    ) -> EnqueueAction where Writes.Index == Int {
        if let refusal = refusal(adding: writes.count, now: now) { return refusal }
        let wasEmpty = queue.isEmpty
        for index in writes.indices {
            append(writes[index], index: index - writes.startIndex, submission: submission, enqueuedAt: enqueuedAt, deadline: deadline)
        }
        statistics.submittedWrites += writes.count
        return .enqueued(wake: wasEmpty || isBatchFull)
    }

    /// `enqueue` of writes given last first, moved out of `reversed` (emptied) rather than copied:
    /// a copy retained each write's document, and dropping the array released it again.
    mutating func enqueue(
        movingReversed reversed: inout [EncodedWrite], submission: Submission, enqueuedAt: NIODeadline, deadline: NIODeadline,
        now: NIODeadline
    ) -> EnqueueAction {
        if let refusal = refusal(adding: reversed.count, now: now) { return refusal }
        let wasEmpty = queue.isEmpty
        let count = reversed.count
        var index = 0
        while let write = reversed.popLast() {
            append(write, index: index, submission: submission, enqueuedAt: enqueuedAt, deadline: deadline)
            index += 1
        }
        statistics.submittedWrites += count
        return .enqueued(wake: wasEmpty || isBatchFull)
    }

    private func refusal(adding count: Int, now: NIODeadline) -> EnqueueAction? {
        if stopping { return .refuse(reason: "shut down") }
        if isRefusing(now: now) { return .refuse(reason: "unavailable") }
        if queue.count + inFlight + count > settings.maxQueuedWrites { return .refuse(reason: "unavailable") }
        return nil
    }

    private mutating func append(_ write: consuming EncodedWrite, index: Int, submission: Submission, enqueuedAt: NIODeadline,
                                 deadline: NIODeadline) {
        let byteCount = write.byteCount
        timings.append(Timing(enqueuedAt: enqueuedAt, deadline: deadline, byteCount: byteCount))
        queuedBytes += byteCount
        queue.append(Pending(write: write, submission: submission, index: index, enqueuedAt: enqueuedAt, deadline: deadline))
    }

    private var isBatchFull: Bool {
        queue.count >= settings.maxBatchCount || queuedBytes >= settings.maxBatchBytes
    }

    mutating func nextAction(now: NIODeadline) -> FlusherAction {
        var expired: [Pending] = []
        // Deadlines grow from the front (retries go back first, with the oldest deadlines), so
        // scanning the front finds every expired write without walking the whole queue.
        while let first = timings.first, first.deadline <= now {
            expired.append(removeFirst())
        }
        if !expired.isEmpty {
            statistics.expiredWrites += expired.count
            return .fail(expired, reason: "unavailable")
        }
        guard let first = timings.first else {
            if stopping { return .exit }
            guard unreachableSince != nil else { return .wait(until: nil) }
            let probeAt = (lastProbe ?? .uptimeNanoseconds(0)) + settings.probeInterval
            if probeAt <= now {
                lastProbe = now
                return .probe
            }
            return .wait(until: probeAt)
        }
        if let pausedUntil, pausedUntil > now { return .wait(until: pausedUntil) }
        let due = first.enqueuedAt + settings.maxBatchDelay
        guard stopping || isBatchFull || flushesInFlight == 0 else { return .wait(until: nil) }
        guard stopping || isBatchFull || due <= now else { return .wait(until: due) }
        var batch: [Pending] = []
        var bytes = 0
        batch.reserveCapacity(min(queue.count, settings.maxBatchCount))
        while let next = timings.first, batch.count < settings.maxBatchCount,
            batch.isEmpty || bytes + next.byteCount <= settings.maxBatchBytes
        {
            bytes += next.byteCount
            batch.append(removeFirst())
        }
        statistics.flushes += 1
        inFlight += batch.count
        flushesInFlight += 1
        return .flush(batch)
    }

    private mutating func removeFirst() -> Pending {
        queuedBytes -= timings.removeFirst().byteCount
        return queue.removeFirst()
    }

    /// Reports a flush of `flushed` writes: `unknown` writes go back to the queue (or fail when past their deadline,
    /// returned for the caller to answer); `confirmedAny` means the server answered, `unreachable`
    /// that nothing did.
    mutating func flushFinished(
        flushed: Int, unknown: [Pending], bulkWrites: Int, confirmedAny: Bool, unreachable: Bool, now: NIODeadline
    ) -> [Pending] {
        inFlight -= flushed
        flushesInFlight -= 1
        statistics.bulkWrites += bulkWrites
        if confirmedAny {
            unreachableSince = nil
        } else if unreachable, unreachableSince == nil {
            unreachableSince = now
        }
        var expired: [Pending] = []
        for write in unknown.reversed() {
            if write.deadline <= now {
                expired.append(write)
            } else {
                queue.prepend(write)
                timings.prepend(Timing(write))
                queuedBytes += write.write.byteCount
                statistics.retriedWrites += 1
            }
        }
        statistics.expiredWrites += expired.count
        if expired.count < unknown.count { pausedUntil = now + settings.retryBackoff }
        return expired.reversed()
    }

    mutating func probeFinished(reachable: Bool) {
        if reachable { unreachableSince = nil }
    }

    mutating func stop() {
        stopping = true
        pausedUntil = nil
    }
}
