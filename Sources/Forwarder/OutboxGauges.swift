import Foundation
import InletModel
import Logging
import Metrics
import MongoStore

/// Outbox depth by status and the age of the oldest pending trigger (`inlet_outbox_depth`,
/// `inlet_outbox_oldest_pending_age_seconds`): a few indexed counts and one single-document read
/// per refresh, cheap enough to run on every instance. The forwarder runs it; so does an
/// instance without a campaign engine configured, where the outbox only grows and the gauges are
/// how an operator sees it.
public struct OutboxGauges: Sendable {
    /// Depth by status; `delivered` is left out because it only grows and counting it gets dear.
    static let depthStatuses = ["pending", "sending", "dead"]

    let store: MongoStore
    let interval: Duration
    let logger: Logger
    let depth: [String: Gauge] = Dictionary(
        uniqueKeysWithValues: depthStatuses.map { ($0, Gauge(label: "inlet_outbox_depth", dimensions: [("status", $0)])) }
    )
    let oldestPendingAge = Gauge(label: "inlet_outbox_oldest_pending_age_seconds")
    let storeErrors = Counter(label: "inlet_outbox_store_errors_total")

    /// Also the forwarder's default, so an instance with or without an engine refreshes alike.
    public static let defaultInterval: Duration = .seconds(5)

    public init(store: MongoStore, interval: Duration = defaultInterval, logger: Logger) {
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    /// Refreshes the gauges every `interval` until the task is cancelled.
    public func run() async {
        while !Task.isCancelled {
            await refresh()
            try? await Task.sleep(for: interval)
        }
    }

    /// What one refresh read and recorded.
    public struct Reading: Sendable, Equatable {
        public var depth: [String: Int] = [:]
        public var oldestPendingAgeSeconds: Double = 0
    }

    /// Reads the outbox and records the gauges; returns what it recorded, `nil` when MongoDB
    /// could not be read (the gauges then keep their last values).
    @discardableResult
    public func refresh() async -> Reading? {
        do {
            var reading = Reading()
            for status in Self.depthStatuses {
                reading.depth[status] = try await store.count(Collections.triggers, filter: ["status": .string(status)])
            }
            let oldest = try await store.find(Collections.triggers, filter: ["status": "pending"], sort: ["createdAt": 1], limit: 1).first
            if case .date(let createdAt) = oldest?["createdAt"] {
                reading.oldestPendingAgeSeconds = max(0, Date().timeIntervalSince(createdAt))
            }
            for (status, gauge) in depth { gauge.record(reading.depth[status] ?? 0) }
            oldestPendingAge.record(reading.oldestPendingAgeSeconds)
            return reading
        } catch {
            storeErrors.increment()
            logger.debug("cannot refresh outbox gauges", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
