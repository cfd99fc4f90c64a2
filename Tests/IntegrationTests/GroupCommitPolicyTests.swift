import InletModel
import NIOCore
import Testing

@testable import MongoStore

/// The group-commit decisions, without MongoDB: when a batch goes out and how large it is.
@Suite("Group commit policy")
struct GroupCommitPolicyTests {
    private let settings = GroupCommitStateMachine.Settings(
        maxBatchCount: 10, maxBatchBytes: 1 << 20, maxBatchDelay: .milliseconds(2), retryDeadline: .seconds(5), maxQueuedWrites: 1_000
    )

    /// Enqueues one submission of `count` writes at `now`.
    @discardableResult
    private func enqueue(_ count: Int, at now: NIODeadline, into machine: inout GroupCommitStateMachine) -> GroupCommitStateMachine.EnqueueAction {
        let submission = Submission(count: count) { _ in }
        let writes = (0..<count).map { EncodedWrite(.insert("events", ["n": .int(Int64($0))])) }
        return machine.enqueue(writes, submission: submission, enqueuedAt: now, deadline: now + .seconds(5), now: now)
    }

    private func batchSize(_ action: GroupCommitStateMachine.FlusherAction) -> Int? {
        if case .flush(let batch) = action { return batch.count }
        return nil
    }

    @Test("a batch that is not full waits for the flush in flight, then goes out whole")
    func waitsForTheFlushInFlight() {
        var machine = GroupCommitStateMachine(settings: settings)
        let start = NIODeadline.now()
        enqueue(3, at: start, into: &machine)
        #expect(batchSize(machine.nextAction(now: start + .milliseconds(3))) == 3)
        enqueue(4, at: start + .milliseconds(4), into: &machine)
        // Past its delay, but a flush is under way: the second flusher waits instead of sending 4.
        guard case .wait(nil) = machine.nextAction(now: start + .milliseconds(10)) else {
            Issue.record("expected to wait for the flush in flight")
            return
        }
        enqueue(2, at: start + .milliseconds(11), into: &machine)
        _ = machine.flushFinished(flushed: 3, unknown: [], bulkWrites: 1, confirmedAny: true, unreachable: false,
                                  now: start + .milliseconds(12))
        #expect(batchSize(machine.nextAction(now: start + .milliseconds(12))) == 6)
    }

    @Test("a full batch goes out even while another flush is in flight")
    func fullBatchUsesASecondFlusher() {
        var machine = GroupCommitStateMachine(settings: settings)
        let start = NIODeadline.now()
        enqueue(1, at: start, into: &machine)
        #expect(batchSize(machine.nextAction(now: start + .milliseconds(3))) == 1)
        enqueue(12, at: start + .milliseconds(4), into: &machine)
        #expect(batchSize(machine.nextAction(now: start + .milliseconds(4))) == 10)
    }
}
