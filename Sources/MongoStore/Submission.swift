import InletModel
import NIOConcurrencyHelpers
import NIOCore

/// One call to `submit`: its writes may be flushed in different batches (retries, batch limits),
/// so outcomes are gathered here and the caller is answered once, when the last one is known.
final class Submission: Sendable {
    private struct State {
        var outcomes: [StoreOutcome?]
        var remaining: Int
    }

    private let state: NIOLockedValueBox<State>
    private let completion: @Sendable ([StoreOutcome]) -> Void
    /// The event loop the submitter waits on, if any: completions for one loop are delivered
    /// together in one task there (see `MongoStore.answer`).
    let eventLoop: (any EventLoop)?

    init(count: Int, eventLoop: (any EventLoop)? = nil, completion: @escaping @Sendable ([StoreOutcome]) -> Void) {
        state = NIOLockedValueBox(State(outcomes: Array(repeating: nil, count: count), remaining: count))
        self.eventLoop = eventLoop
        self.completion = completion
    }

    /// Records several outcomes under one lock (a flush answers a request's writes together);
    /// the first outcome recorded for a write wins. Returns the submitter's answer when the
    /// last outcome it waited for is among them.
    func record<Outcomes: Sequence<(index: Int, outcome: StoreOutcome)>>(_ outcomes: Outcomes) -> (@Sendable () -> Void)? {
        let finished: [StoreOutcome]? = state.withLockedValue { state in
            var recorded = false
            for (index, outcome) in outcomes where state.outcomes[index] == nil {
                state.outcomes[index] = outcome
                state.remaining -= 1
                recorded = true
            }
            guard recorded, state.remaining == 0 else { return nil }
            return state.outcomes.map { $0 ?? .failed(reason: "internal") }
        }
        guard let finished else { return nil }
        let completion = self.completion
        return { completion(finished) }
    }
}
