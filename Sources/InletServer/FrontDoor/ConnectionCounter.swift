import Metrics
import NIOConcurrencyHelpers

/// Counts open public connections and refuses those beyond the cap.
final class ConnectionCounter: Sendable {
    private let open = NIOLockedValueBox(0)
    private let cap: Int
    private let gauge = Gauge(label: "inlet_open_connections")
    private let refused = Counter(label: "inlet_connections_refused_total")

    init(cap: Int) {
        self.cap = cap
    }

    /// `true` when the connection may stay; it must then be `release`d when it closes.
    func admit() -> Bool {
        let (admitted, count) = open.withLockedValue { count -> (Bool, Int) in
            guard count < cap else { return (false, count) }
            count += 1
            return (true, count)
        }
        if admitted { gauge.record(count) } else { refused.increment() }
        return admitted
    }

    func release() {
        let count = open.withLockedValue { count -> Int in
            count -= 1
            return count
        }
        gauge.record(count)
    }

    var current: Int { open.withLockedValue { $0 } }
}
