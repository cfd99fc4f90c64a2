import Metrics
import NIOConcurrencyHelpers
import NIOCore

/// Request counters and latency timers by route label and status. The metric objects are made
/// once per label and kept, so a request costs a dictionary lookup, not a factory call; requests
/// record through their connection's `ConnectionRequestMetrics`.
final class RequestMetrics: Sendable {
    private struct Key: Hashable {
        var route: String
        var status: Int
    }

    private let counters = NIOLockedValueBox([Key: Counter]())
    private let timers = NIOLockedValueBox([String: Timer]())

    /// The counter of `route` and `status` and the timer of `route`, made on first use.
    func metrics(route: String, status: Int) -> (counter: Counter, timer: Timer) {
        let key = Key(route: route, status: status)
        let counter = counters.withLockedValue { cache in
            if let existing = cache[key] { return existing }
            let made = Counter(label: "inlet_http_requests_total", dimensions: [("route", route), ("status", String(status))])
            cache[key] = made
            return made
        }
        let timer = timers.withLockedValue { cache in
            if let existing = cache[route] { return existing }
            let made = Timer(label: "inlet_http_request_duration_seconds", dimensions: [("route", route)], preferredDisplayUnit: .seconds)
            cache[route] = made
            return made
        }
        return (counter, timer)
    }
}

/// One connection's view of `RequestMetrics`: remembers the metric objects its requests used, so
/// a request costs a short scan of a few labels instead of two locks and two hashed lookups
/// (profiled, per request). Used only on the connection's event loop; the objects are the shared ones.
final class ConnectionRequestMetrics {
    private struct Entry {
        var route: String
        var status: Int
        var counter: Counter
        var timer: Timer
    }

    private let shared: RequestMetrics
    private var entries: [Entry] = []
    /// A connection sees few routes and statuses; past this many, the shared maps answer the rest.
    private static let maxEntries = 8

    init(shared: RequestMetrics) {
        self.shared = shared
    }

    func record(route: String, status: Int, since start: NIODeadline) {
        let counter: Counter
        let timer: Timer
        if let entry = entries.first(where: { $0.status == status && $0.route == route }) {
            counter = entry.counter
            timer = entry.timer
        } else {
            (counter, timer) = shared.metrics(route: route, status: status)
            if entries.count < Self.maxEntries {
                entries.append(Entry(route: route, status: status, counter: counter, timer: timer))
            }
        }
        counter.increment()
        timer.recordNanoseconds((NIODeadline.now() - start).nanoseconds)
    }
}
