import Foundation
import InletModel

/// One outbox entry as an operator sees it (`inlet triggers list`): no event payload.
public struct TriggerSummary: Sendable, Hashable {
    public var id: String
    public var tenantId: String
    public var trigger: String
    public var campaign: String
    public var status: String
    public var attempts: Int
    public var lastError: String?
    public var createdAt: Date?
    public var nextAttemptAt: Date?

    init(document: JSONObject) {
        let idValue = document["_id"] ?? .null
        id = idValue.stringValue ?? idValue.jsonString()
        tenantId = document["tenantId"]?.stringValue ?? ""
        trigger = document["trigger"]?.stringValue ?? ""
        campaign = document["campaign"]?.stringValue ?? ""
        status = document["status"]?.stringValue ?? ""
        attempts = Int(document["attempts"]?.numberValue ?? 0)
        lastError = document["lastError"]?.stringValue
        if case .date(let date) = document["createdAt"] { createdAt = date }
        if case .date(let date) = document["nextAttemptAt"] { nextAttemptAt = date }
    }
}
