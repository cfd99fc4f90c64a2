import NIOCore

/// The pending commands of one connection, without I/O.
///
/// Redis answers in order, so replies are matched to commands first in, first out. Every command
/// gets the same timeout, so deadlines grow along the queue and the timed-out commands are always
/// a prefix of it: `expiredCount` of them, already failed, whose late replies are read and dropped.
///
/// ```
///  enqueue ──► [ expired … | waiting … ] ──► reply: head expired? drop : succeed head
///                            timer: fail waiting heads whose deadline passed
///  close / protocol error ──► fail every waiting command, refuse new ones
/// ```
struct RedisConnectionStateMachine {
    struct Pending {
        var promise: EventLoopPromise<RESPValue>
        var deadline: NIODeadline
    }

    private enum State {
        case active(queue: CircularBuffer<Pending>, expiredCount: Int)
        case closed(RedisClientError)
    }

    enum EnqueueAction {
        /// Write the command; arm the timeout timer for `deadline` if none is armed.
        case write
        case fail(EventLoopPromise<RESPValue>, RedisClientError)
    }

    enum ReplyAction {
        case succeed(EventLoopPromise<RESPValue>, RESPValue)
        /// The reply belongs to a command that already timed out.
        case discard
        /// A reply nobody asked for: the stream is out of step, so the connection must go.
        case closeConnection(RedisClientError)
    }

    struct TimeoutAction {
        var expired: [EventLoopPromise<RESPValue>]
        var nextDeadline: NIODeadline?
    }

    private var state: State = .active(queue: CircularBuffer(initialCapacity: 16), expiredCount: 0)

    var pendingCount: Int {
        if case .active(let queue, _) = state { return queue.count }
        return 0
    }

    mutating func enqueue(_ promise: EventLoopPromise<RESPValue>, deadline: NIODeadline) -> EnqueueAction {
        switch state {
        case .active(var queue, let expiredCount):
            state = .closed(RedisClientError(.connectionClosed))  // placeholder while mutating, avoids a CoW copy
            queue.append(Pending(promise: promise, deadline: deadline))
            state = .active(queue: queue, expiredCount: expiredCount)
            return .write
        case .closed(let error):
            return .fail(promise, error)
        }
    }

    mutating func replyReceived(_ value: RESPValue) -> ReplyAction {
        switch state {
        case .active(var queue, let expiredCount):
            guard let head = queue.first else {
                let error = RedisClientError(.protocolError, "a reply arrived with no command waiting")
                state = .closed(error)
                return .closeConnection(error)
            }
            state = .closed(RedisClientError(.connectionClosed))
            queue.removeFirst()
            if expiredCount > 0 {
                state = .active(queue: queue, expiredCount: expiredCount - 1)
                return .discard
            }
            state = .active(queue: queue, expiredCount: 0)
            return .succeed(head.promise, value)
        case .closed:
            return .discard
        }
    }

    /// Fails every waiting command whose deadline is at or before `now`.
    mutating func timerFired(now: NIODeadline) -> TimeoutAction {
        guard case .active(let queue, var expiredCount) = state else {
            return TimeoutAction(expired: [], nextDeadline: nil)
        }
        var expired: [EventLoopPromise<RESPValue>] = []
        while expiredCount < queue.count, queue[queue.index(queue.startIndex, offsetBy: expiredCount)].deadline <= now {
            expired.append(queue[queue.index(queue.startIndex, offsetBy: expiredCount)].promise)
            expiredCount += 1
        }
        let next = expiredCount < queue.count ? queue[queue.index(queue.startIndex, offsetBy: expiredCount)].deadline : nil
        state = .active(queue: queue, expiredCount: expiredCount)
        return TimeoutAction(expired: expired, nextDeadline: next)
    }

    /// Closes the machine and returns the commands still waiting for a reply, to be failed.
    mutating func closed(_ error: RedisClientError) -> [EventLoopPromise<RESPValue>] {
        guard case .active(let queue, let expiredCount) = state else { return [] }
        state = .closed(error)
        return queue.dropFirst(expiredCount).map(\.promise)
    }
}
