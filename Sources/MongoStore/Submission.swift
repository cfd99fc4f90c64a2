import InletModel
import NIOConcurrencyHelpers

/// One call to `submit`: its writes may be flushed in different batches (retries, batch limits),
/// so outcomes are gathered here and the caller is answered once, when the last one is known.
final class Submission: Sendable {
    private struct State {
        var outcomes: [StoreOutcome?]
        var remaining: Int
    }

    private let state: NIOLockedValueBox<State>
    private let completion: @Sendable ([StoreOutcome]) -> Void

    init(count: Int, completion: @escaping @Sendable ([StoreOutcome]) -> Void) {
        state = NIOLockedValueBox(State(outcomes: Array(repeating: nil, count: count), remaining: count))
        self.completion = completion
    }

    /// Records the outcome of write `index`; the first outcome recorded for a write wins.
    func complete(_ index: Int, with outcome: StoreOutcome) {
        let finished: [StoreOutcome]? = state.withLockedValue { state in
            guard state.outcomes[index] == nil else { return nil }
            state.outcomes[index] = outcome
            state.remaining -= 1
            guard state.remaining == 0 else { return nil }
            return state.outcomes.map { $0 ?? .failed(reason: "internal") }
        }
        if let finished { completion(finished) }
    }
}
