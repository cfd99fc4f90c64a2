import Foundation
import InletModel

/// A `triggers` outbox document this instance holds a lease on, with the engine's request body
/// built from it. The document's shape is the server's `TriggerOutbox`.
struct ClaimedTrigger: Sendable {
    /// The stored `_id`, kept as a value so updates match it whatever its BSON type.
    let idValue: JSONValue
    /// The id the engine dedupes on (`id` in the body, `Idempotency-Key`).
    let id: String
    /// Attempts made before this one.
    let attempts: Int
    let createdAt: Date?
    let document: JSONObject

    init(document: JSONObject) {
        self.document = document
        idValue = document["_id"] ?? .null
        id = idValue.stringValue ?? idValue.jsonString()
        attempts = Int(document["attempts"]?.numberValue ?? 0)
        if case .date(let date) = document["createdAt"] { createdAt = date } else { createdAt = nil }
    }

    /// Fields the engine needs that this document lacks; such a trigger can never be delivered,
    /// so it goes straight to `dead` rather than round the retry loop.
    var missingFields: [String] {
        var missing: [String] = []
        if idValue.stringValue == nil { missing.append("_id") }
        for key in ["tenantId", "trigger", "campaign"] where document[key]?.stringValue == nil { missing.append(key) }
        if document["event"]?.objectValue == nil { missing.append("event") }
        return missing
    }

    /// `{"id","tenantId","trigger","campaign","event","createdAt"}`, dates as ISO-8601.
    func body() -> [UInt8] {
        var body = JSONObject()
        body.appendUnchecked("id", .string(id))
        for key in ["tenantId", "trigger", "campaign", "event", "createdAt"] {
            body.appendUnchecked(key, document[key] ?? .null)
        }
        return JSONValue.object(body).jsonBytes()
    }
}
