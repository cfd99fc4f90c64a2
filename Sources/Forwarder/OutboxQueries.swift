import Foundation
import InletModel

/// Every filter and update the forwarder and `TriggerAdmin` run against `triggers`, in one place
/// and free of I/O. Lifecycle of a trigger:
///
/// ```
/// pending ──claim──▶ sending ──2xx──▶ delivered
///    ▲                 │  │
///    └──failure/stop───┘  └──failure, attempts ≥ max──▶ dead ──retry (operator)──▶ pending
/// sending with an expired lease (its instance died) is claimable like pending.
/// ```
enum OutboxQueries {
    /// Due pending triggers. A plain equality-and-range filter, so the `{status, nextAttemptAt}`
    /// index answers it; an `$or` with the expired leases made every claim scan the outbox.
    static func dueFilter(now: Date) -> JSONObject {
        ["status": "pending", "nextAttemptAt": ["$lte": .date(now)]]
    }

    /// `sending` triggers whose claimant let the lease run out (its instance died).
    static func expiredLeaseFilter(now: Date) -> JSONObject {
        ["status": "sending", "leaseUntil": ["$lt": .date(now)]]
    }

    static let claimSort: JSONObject = ["nextAttemptAt": 1]
    static let expiredLeaseSort: JSONObject = ["leaseUntil": 1]

    /// Matches `seen` only while its claim-relevant fields are as they were when it was read:
    /// equality on `_id` and those fields, which any claim or reschedule changes.
    static func unchangedFilter(_ seen: JSONObject) -> JSONObject? {
        guard let id = seen["_id"], let status = seen["status"] else { return nil }
        return [
            "_id": id,
            "status": status,
            "nextAttemptAt": seen["nextAttemptAt"] ?? ["$exists": false],
            "leaseUntil": seen["leaseUntil"] ?? ["$exists": false],
        ]
    }

    static func claimUpdate(owner: String, now: Date, lease: Duration) -> JSONObject {
        [
            "$set": [
                "status": "sending",
                "owner": .string(owner),
                "leaseUntil": .date(now.addingTimeInterval(lease.seconds)),
            ]
        ]
    }

    /// Results are written only while the claim is still ours: if our lease ran out and another
    /// instance took the trigger, its outcome wins.
    static func ownedFilter(id: JSONValue, owner: String) -> JSONObject {
        ["_id": id, "status": "sending", "owner": .string(owner)]
    }

    static func verdict(for result: AttemptResult, attemptsBefore: Int, configuration: TriggerForwarder.Configuration, random: Double) -> AttemptVerdict {
        switch result {
        case .accepted:
            return .delivered
        case .interrupted:
            return .released
        case .undeliverable:
            return .dead
        case .failed:
            let attempts = attemptsBefore + 1
            if attempts >= configuration.maxAttempts { return .dead }
            let wait = TriggerForwarder.backoff(attempt: attempts, base: configuration.backoffBase, cap: configuration.backoffCap, random: random)
            return .retry(after: wait)
        }
    }

    static func update(for verdict: AttemptVerdict, result: AttemptResult, now: Date) -> JSONObject {
        let releaseLease: JSONValue = ["owner": "", "leaseUntil": ""]
        var set: JSONObject = [:]
        switch verdict {
        case .delivered:
            set["status"] = "delivered"
            set["deliveredAt"] = .date(now)
        case .retry(let wait):
            set["status"] = "pending"
            set["nextAttemptAt"] = .date(now.addingTimeInterval(wait.seconds))
        case .dead:
            set["status"] = "dead"
            set["deadAt"] = .date(now)
        case .released:
            return ["$set": ["status": "pending"], "$unset": releaseLease]
        }
        set["lastAttemptAt"] = .date(now)
        switch result {
        case .failed(let reason), .undeliverable(let reason): set["lastError"] = .string(reason)
        case .accepted, .interrupted: break
        }
        return ["$set": .object(set), "$inc": ["attempts": 1], "$unset": releaseLease]
    }

    /// An operator's retry: a fresh budget of attempts, due now.
    static func retryUpdate(now: Date) -> JSONObject {
        [
            "$set": ["status": "pending", "attempts": 0, "nextAttemptAt": .date(now)],
            "$unset": ["owner": "", "leaseUntil": "", "deadAt": ""],
        ]
    }
}
