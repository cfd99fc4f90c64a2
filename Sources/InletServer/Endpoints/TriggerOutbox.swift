import Foundation
import InletConfig
import InletModel

/// Builds the `triggers` outbox documents for a stored document that matches a tenant's rules.
/// The `_id` is derived from the tenant, the matched document's id and the rule, so a retried
/// request (or a duplicate event) writes the same id and never creates a second trigger.
enum TriggerOutbox {
    static func writes(for document: JSONObject, documentId: String, rules: [TriggerRule], tenantId: String,
                       sourceId: String, now: Date) -> [StoreWrite] {
        guard !rules.isEmpty else { return [] }
        var writes: [StoreWrite] = []
        for rule in rules where rule.matches(document) {
            let trigger: JSONObject = [
                "_id": .string("\(tenantId):\(rule.id):\(documentId)"),
                "tenantId": .string(tenantId),
                "sourceId": .string(sourceId),
                "trigger": .string(rule.id),
                "campaign": .string(rule.campaign),
                "event": .object(document),
                "status": "pending",
                "attempts": 0,
                "nextAttemptAt": .date(now),
                "createdAt": .date(now),
            ]
            writes.append(.insert(Collections.triggers, trigger))
        }
        return writes
    }
}
