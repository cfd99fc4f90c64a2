import NIOConcurrencyHelpers

/// Lets `wake()` cut an idle wait short. A signal sent while nobody waits is kept (once), so a
/// wake-up that races with a claim query is never lost; at most one waiter at a time.
final class WakeSignal: Sendable {
    private enum State {
        case idle
        case signalled
        case waiting(CheckedContinuation<Void, Never>)
    }

    private let state = NIOLockedValueBox(State.idle)

    func signal() {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            switch state {
            case .idle, .signalled:
                state = .signalled
                return nil
            case .waiting(let continuation):
                state = .idle
                return continuation
            }
        }
        waiter?.resume()
    }

    /// Returns after a signal or `timeout`, whichever comes first, or at once when cancelled.
    func wait(upTo timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: timeout) }
            group.addTask { await self.waitForSignal() }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForSignal() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
                    switch state {
                    case .signalled:
                        state = .idle
                        return continuation
                    case .idle:
                        // The cancellation handler may already have run and found nobody waiting.
                        if Task.isCancelled { return continuation }
                        state = .waiting(continuation)
                        return nil
                    case .waiting(let previous):
                        state = .waiting(continuation)
                        return previous
                    }
                }
                resumeNow?.resume()
            }
        } onCancel: {
            let waiter = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
                guard case .waiting(let continuation) = state else { return nil }
                state = .idle
                return continuation
            }
            waiter?.resume()
        }
    }
}
