import Metrics

/// The store's swift-metrics instruments, created once per store.
struct StoreMetrics: Sendable {
    let queueDepth = Gauge(label: "inlet_store_queue_depth")
    let batchSize = Recorder(label: "inlet_store_batch_size", aggregate: true)
    let flushDuration = Metrics.Timer(label: "inlet_store_flush_duration")
    let retries = Counter(label: "inlet_store_retries_total")
    let stored = Counter(label: "inlet_store_outcomes_total", dimensions: [("outcome", "stored")])
    let duplicate = Counter(label: "inlet_store_outcomes_total", dimensions: [("outcome", "duplicate")])
    let failed = Counter(label: "inlet_store_outcomes_total", dimensions: [("outcome", "failed")])
}
