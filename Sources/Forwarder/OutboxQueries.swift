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
    /// Due pending triggers, and `sending` ones whose claimant let the lease run out.
    static func claimFilter(now: Date) -> JSONObject {
        let leaseFree: JSONValue = [["leaseUntil": ["$exists": false]], ["leaseUntil": ["$lt": .date(now)]]]
        return [
            "$or": [
                ["status": "pending", "nextAttemptAt": ["$lte": .date(now)], "$or": leaseFree],
                ["status": "sending", "leaseUntil": ["$lt": .date(now)]],
            ]
        ]
    }

    static let claimSort: JSONObject = ["nextAttemptAt": 1]

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
