import Foundation
import InletModel
import MongoStore

/// The operator's side of the outbox, behind `inlet triggers list|retry`: kept here, next to the
/// forwarder, so the CLI and the tests share one definition of "retry".
public struct TriggerAdmin: Sendable {
    /// Why a retry did or did not happen.
    public enum RetryResult: Sendable, Hashable {
        /// Now `pending` with a fresh budget of attempts, due at once.
        case scheduled
        case notFound
        /// An instance holds a lease on it right now; its outcome is about to be written.
        case inFlight
        case alreadyDelivered
    }

    let store: MongoStore

    public init(store: MongoStore) {
        self.store = store
    }

    /// Triggers with `status`, oldest first, at most `limit` (0: all).
    public func list(status: String, limit: Int = 100) async throws -> [TriggerSummary] {
        let documents = try await store.find(
            Collections.triggers, filter: ["status": .string(status)], sort: ["createdAt": 1, "_id": 1], limit: max(0, limit)
        )
        return documents.map(TriggerSummary.init(document:))
    }

    /// Makes a `dead` (or waiting `pending`) trigger due now with its attempts reset.
    public func retry(id: String, now: Date = Date()) async throws -> RetryResult {
        let (matched, _) = try await store.updateOne(
            Collections.triggers,
            filter: ["_id": .string(id), "status": ["$in": ["dead", "pending"]]],
            update: OutboxQueries.retryUpdate(now: now)
        )
        if matched > 0 { return .scheduled }
        switch try await store.findOne(Collections.triggers, filter: ["_id": .string(id)])?["status"]?.stringValue {
        case nil: return .notFound
        case "delivered": return .alreadyDelivered
        default: return .inFlight
        }
    }

    /// Makes every `dead` trigger due now, in one multi-document update; returns how many.
    public func retryAllDead(now: Date = Date()) async throws -> Int {
        let reply = try await store.runCommand([
            "update": .string(Collections.triggers),
            "updates": [["q": ["status": "dead"], "u": .object(OutboxQueries.retryUpdate(now: now)), "multi": true]],
        ])
        if let firstError = reply["writeErrors"]?.arrayValue?.first {
            throw TriggerAdminError(message: firstError["errmsg"]?.stringValue ?? firstError.jsonString())
        }
        return Int(reply["nModified"]?.numberValue ?? reply["n"]?.numberValue ?? 0)
    }
}
