import NIOCore
import Testing

@testable import InletServer

@Suite("Request metrics through a connection's memo")
struct ConnectionRequestMetricsTests {
    @Test("connections record into the shared counters and timers, past their memo's size too")
    func memoCountsLikeTheSharedMaps() {
        InletMetrics.bootstrapOnce()
        let shared = RequestMetrics()
        let first = ConnectionRequestMetrics(shared: shared)
        let second = ConnectionRequestMetrics(shared: shared)
        // More labels than a memo keeps (8), each twice on one connection and once on another;
        // labels no other test uses, as the registry is the process's.
        let routes = (0..<12).map { "memo-test-\($0)" }
        for route in routes {
            first.record(route: route, status: 200, since: .now())
            first.record(route: route, status: 200, since: .now())
            second.record(route: route, status: 200, since: .now())
        }
        first.record(route: routes[0], status: 401, since: .now())
        for route in routes {
            #expect(ForwarderTests.metricValue(#"inlet_http_requests_total{route="\#(route)",status="200"}"#) == 3)
            let timed = ForwarderTests.metricValue(#"inlet_http_request_duration_seconds_count{route="\#(route)"}"#)
            #expect(timed == (route == routes[0] ? 4 : 3))
        }
        #expect(ForwarderTests.metricValue(#"inlet_http_requests_total{route="memo-test-0",status="401"}"#) == 1)
    }
}
