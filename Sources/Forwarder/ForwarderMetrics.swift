import Metrics

/// The forwarder's swift-metrics instruments (`inlet_outbox_*`), created once per forwarder; the
/// outbox's depth and age are `OutboxGauges`'.
struct ForwarderMetrics: Sendable {
    let delivered = Counter(label: "inlet_outbox_delivered_total")
    let failedAttempts = Counter(label: "inlet_outbox_failed_attempts_total")
    let dead = Counter(label: "inlet_outbox_dead_total")
    let storeErrors = Counter(label: "inlet_outbox_store_errors_total")
    /// From the trigger's `createdAt` to the engine's `2xx`: what a campaign waits, retries included.
    let latency = Metrics.Timer(label: "inlet_outbox_delivery_latency_seconds", preferredDisplayUnit: .seconds)
}
