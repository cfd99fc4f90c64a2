import Metrics
import NIOConcurrencyHelpers
import NIOCore

/// Request counters and latency timers by route label and status. The metric objects are made
/// once per label and kept, so a request costs a dictionary lookup, not a factory call.
final class RequestMetrics: Sendable {
    private struct Key: Hashable {
        var route: String
        var status: Int
    }

    private let counters = NIOLockedValueBox([Key: Counter]())
    private let timers = NIOLockedValueBox([String: Timer]())

    func record(route: String, status: Int, since start: NIODeadline) {
        let key = Key(route: route, status: status)
        let counter = counters.withLockedValue { cache in
            if let existing = cache[key] { return existing }
            let made = Counter(label: "inlet_http_requests_total", dimensions: [("route", route), ("status", String(status))])
            cache[key] = made
            return made
        }
        counter.increment()
        let timer = timers.withLockedValue { cache in
            if let existing = cache[route] { return existing }
            let made = Timer(label: "inlet_http_request_duration_seconds", dimensions: [("route", route)], preferredDisplayUnit: .seconds)
            cache[route] = made
            return made
        }
        timer.recordNanoseconds((NIODeadline.now() - start).nanoseconds)
    }
}
