import Foundation
import NIOCore

/// The lock around `GroupCommitStateMachine`, shared by submitters and flushers. A condition
/// variable rather than an event loop timer, because flushers are pool threads that block in
/// libmongoc anyway: between flushes they sleep here until a batch is due.
final class GroupCommitQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var machine: GroupCommitStateMachine

    init(settings: GroupCommitStateMachine.Settings) {
        machine = GroupCommitStateMachine(settings: settings)
    }

    func enqueue<Writes: RandomAccessCollection<EncodedWrite>>(
        _ writes: Writes, submission: Submission, enqueuedAt: NIODeadline, deadline: NIODeadline
    ) -> GroupCommitStateMachine.EnqueueAction where Writes.Index == Int {
        enqueuing { $0.enqueue(writes, submission: submission, enqueuedAt: enqueuedAt, deadline: deadline, now: enqueuedAt) }
    }

    /// `enqueue` of writes given last first, moved out of `reversed`.
    func enqueue(
        movingReversed reversed: inout [EncodedWrite], submission: Submission, enqueuedAt: NIODeadline, deadline: NIODeadline
    ) -> GroupCommitStateMachine.EnqueueAction {
        enqueuing {
            $0.enqueue(movingReversed: &reversed, submission: submission, enqueuedAt: enqueuedAt, deadline: deadline, now: enqueuedAt)
        }
    }

    /// Runs an enqueue under the lock and wakes a flusher if it asks. Its `now` is `enqueuedAt`,
    /// the submitter's reading of the clock a moment ago: no second one.
    private func enqueuing(
        _ body: (inout GroupCommitStateMachine) -> GroupCommitStateMachine.EnqueueAction
    ) -> GroupCommitStateMachine.EnqueueAction {
        condition.lock()
        let action = body(&machine)
        condition.unlock()
        if case .enqueued(wake: true) = action { condition.signal() }
        return action
    }

    /// Blocks the calling flusher until there is something to do.
    func nextAction() -> GroupCommitStateMachine.FlusherAction {
        condition.lock()
        defer { condition.unlock() }
        while true {
            let action = machine.nextAction(now: .now())
            guard case .wait(let deadline) = action else { return action }
            if let deadline {
                let seconds = Double((deadline - .now()).nanoseconds) / 1e9
                _ = condition.wait(until: Date(timeIntervalSinceNow: max(seconds, 0)))
            } else {
                condition.wait()
            }
        }
    }

    func flushFinished(
        flushed: Int, unknown: [GroupCommitStateMachine.Pending], bulkWrites: Int, serverAnswered: Bool
    ) -> [GroupCommitStateMachine.Pending] {
        condition.lock()
        let expired = machine.flushFinished(
            flushed: flushed, unknown: unknown, bulkWrites: bulkWrites, confirmedAny: serverAnswered, unreachable: !serverAnswered, now: .now()
        )
        condition.unlock()
        // Requeued writes need a flusher once the backoff ends; the others may be asleep. Writes
        // that waited for this flush to end can go now, while this flusher answers its own.
        if !unknown.isEmpty { condition.broadcast() } else { condition.signal() }
        return expired
    }

    func probeFinished(reachable: Bool) {
        condition.lock()
        machine.probeFinished(reachable: reachable)
        condition.unlock()
    }

    func stop() {
        condition.lock()
        machine.stop()
        condition.unlock()
        condition.broadcast()
    }

    var statistics: MongoStore.Statistics {
        condition.lock()
        defer { condition.unlock() }
        return machine.statistics
    }

    var queueDepth: Int {
        condition.lock()
        defer { condition.unlock() }
        return machine.queueDepth
    }

    var isRefusing: Bool {
        condition.lock()
        defer { condition.unlock() }
        return machine.isRefusing(now: .now())
    }
}
