import InletModel
import NIOCore
import Synchronization

/// One call to `submit`: its writes may be flushed in different batches (retries, batch limits),
/// so outcomes are gathered here and the caller is answered once, when the last one is known.
///
/// One allocation besides its outcome array: the lock and the record of which writes are answered
/// live inline, and the loop task that answers calls `complete()` itself, with no closure made
/// for it. Each object a request had here was made on its event loop and freed after a flusher
/// answered: a cache miss and a cross-thread free apiece.
final class Submission: Sendable {
    private struct State: Sendable {
        /// Placeholders until recorded (`recorded` tells which are).
        var outcomes: [StoreOutcome]
        var recorded: RecordedWrites
        var remaining: Int
        var answered = false

        /// `false` if the write had its outcome already.
        mutating func record(_ outcome: StoreOutcome, for index: Int) -> Bool {
            guard recorded.insert(index) else { return false }
            outcomes[index] = outcome
            remaining -= 1
            return true
        }
    }

    private let state: Mutex<State>
    private let completion: @Sendable ([StoreOutcome]) -> Void
    /// The event loop the submitter waits on, if any: completions for one loop are delivered
    /// together in one task there (see `MongoStore.answer`).
    let eventLoop: (any EventLoop)?

    init(count: Int, eventLoop: (any EventLoop)? = nil, completion: @escaping @Sendable ([StoreOutcome]) -> Void) {
        state = Mutex(State(outcomes: Array(repeating: Self.unanswered, count: count), recorded: RecordedWrites(count: count),
                            remaining: count))
        self.eventLoop = eventLoop
        self.completion = completion
    }

    /// What a write not answered by the time its submission completes would report; only a bug gets there.
    private static let unanswered = StoreOutcome.failed(reason: "internal")

    /// Records the outcomes a flush has for this submission's writes at `run` of its batch, under
    /// one lock (a flush answers a request's writes together); `nil` outcomes are skipped, and the
    /// first outcome recorded for a write wins. Returns `true` when the last outcome the submitter
    /// waited for is among them: then call `complete()`, once. Plain arguments rather than a
    /// sequence or a closure: both were allocated on the heap, once per request.
    func record(_ run: Range<Int>, of batch: UnsafeBufferPointer<GroupCommitStateMachine.Pending>, outcomes: [StoreOutcome?]) -> Bool {
        state.withLock { state in
            var recorded = false
            for position in run {
                guard let outcome = outcomes[position] else { continue }
                recorded = state.record(outcome, for: batch[position].index) || recorded
            }
            return recorded && state.remaining == 0
        }
    }

    /// Records `outcome` for every write not answered yet (a refused submission).
    func recordAll(_ outcome: StoreOutcome) -> Bool {
        state.withLock { state in
            var recorded = false
            for index in state.outcomes.indices {
                recorded = state.record(outcome, for: index) || recorded
            }
            return recorded && state.remaining == 0
        }
    }

    /// `record` of a list of writes' indices and outcomes.
    func record(_ outcomes: [(index: Int, outcome: StoreOutcome)]) -> Bool {
        state.withLock { state in
            var recorded = false
            for (index, outcome) in outcomes {
                recorded = state.record(outcome, for: index) || recorded
            }
            return recorded && state.remaining == 0
        }
    }

    /// Hands the outcomes to the submitter (after `record` returned `true`). The array goes out
    /// as it is, not copied.
    func complete() {
        let outcomes: [StoreOutcome]? = state.withLock { state in
            guard state.remaining == 0, !state.answered else { return nil }
            state.answered = true
            defer { state.outcomes = [] }
            return state.outcomes
        }
        if let outcomes { completion(outcomes) }
    }
}

/// Which of a submission's writes have an outcome: inline bits for up to 64 writes (every single
/// call, small batches), one array of flags beyond.
struct RecordedWrites: Sendable {
    private var small: UInt64 = 0
    private var large: [Bool]

    init(count: Int) {
        large = count > 64 ? Array(repeating: false, count: count) : []
    }

    /// Marks `index`; `false` if it was marked already.
    mutating func insert(_ index: Int) -> Bool {
        if large.isEmpty {
            let bit = UInt64(1) << UInt64(index)
            defer { small |= bit }
            return small & bit == 0
        }
        defer { large[index] = true }
        return !large[index]
    }
}
