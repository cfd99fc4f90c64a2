import Metrics

/// The forwarder's swift-metrics instruments (`inlet_outbox_*`), created once per forwarder.
struct ForwarderMetrics: Sendable {
    let delivered = Counter(label: "inlet_outbox_delivered_total")
    let failedAttempts = Counter(label: "inlet_outbox_failed_attempts_total")
    let dead = Counter(label: "inlet_outbox_dead_total")
    let storeErrors = Counter(label: "inlet_outbox_store_errors_total")
    /// From the trigger's `createdAt` to the engine's `2xx`: what a campaign waits, retries included.
    let latency = Metrics.Timer(label: "inlet_outbox_delivery_latency_seconds", preferredDisplayUnit: .seconds)
    let oldestPendingAge = Gauge(label: "inlet_outbox_oldest_pending_age_seconds")

    /// Depth by status; `delivered` is left out because it only grows and counting it gets dear.
    static let depthStatuses = ["pending", "sending", "dead"]
    let depth: [String: Gauge] = Dictionary(
        uniqueKeysWithValues: depthStatuses.map { ($0, Gauge(label: "inlet_outbox_depth", dimensions: [("status", $0)])) }
    )
}
