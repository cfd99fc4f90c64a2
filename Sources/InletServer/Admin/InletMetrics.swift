import Metrics
import NIOConcurrencyHelpers
import Prometheus

/// The one Prometheus registry of the process. swift-metrics can be bootstrapped once per process,
/// and tests start several servers in one process, so bootstrapping is idempotent here.
public enum InletMetrics {
    public static var registry: PrometheusCollectorRegistry { PrometheusMetricsFactory.defaultRegistry }

    private static let bootstrapped = NIOLockedValueBox(false)

    public static func bootstrapOnce() {
        let first = bootstrapped.withLockedValue { done -> Bool in
            defer { done = true }
            return !done
        }
        guard first else { return }
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
        ]
        MetricsSystem.bootstrap(factory)
    }
}
