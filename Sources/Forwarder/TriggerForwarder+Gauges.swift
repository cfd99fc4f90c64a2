import Foundation
import InletModel

extension TriggerForwarder {
    /// Outbox depth by status and the age of the oldest pending trigger: a few indexed counts and
    /// one single-document read every `gaugeInterval`, cheap enough to run on every instance.
    func refreshGaugesPeriodically() async {
        while !Task.isCancelled {
            await refreshGauges()
            try? await Task.sleep(for: configuration.gaugeInterval)
        }
    }

    func refreshGauges() async {
        do {
            for (status, gauge) in metrics.depth {
                gauge.record(try await store.count(Collections.triggers, filter: ["status": .string(status)]))
            }
            let oldest = try await store.find(Collections.triggers, filter: ["status": "pending"], sort: ["createdAt": 1], limit: 1).first
            if case .date(let createdAt) = oldest?["createdAt"] {
                metrics.oldestPendingAge.record(max(0, Date().timeIntervalSince(createdAt)))
            } else {
                metrics.oldestPendingAge.record(0)
            }
        } catch {
            metrics.storeErrors.increment()
            logger.debug("cannot refresh outbox gauges", metadata: ["error": "\(error)"])
        }
    }
}
