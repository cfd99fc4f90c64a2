import Foundation
import InletModel

/// An issued API key as stored: who it belongs to, never the key itself.
public struct APIKeyRecord: Sendable, Hashable {
    /// The key's first characters, shown in listings and used to revoke it.
    public var prefix: String
    public var tenantId: String
    public var sourceId: String
    public var createdAt: Date
    public var revokedAt: Date?

    public init(prefix: String, tenantId: String, sourceId: String, createdAt: Date, revokedAt: Date? = nil) {
        self.prefix = prefix
        self.tenantId = tenantId
        self.sourceId = sourceId
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }

    public var isRevoked: Bool { revokedAt != nil }

    /// Reads an `apiKeys` document; `nil` when a field is missing or of the wrong type.
    init?(document: JSONObject) {
        guard case .string(let prefix) = document["prefix"],
            case .string(let tenantId) = document["tenantId"],
            case .string(let sourceId) = document["sourceId"],
            case .date(let createdAt) = document["createdAt"]
        else { return nil }
        var revokedAt: Date?
        if case .date(let date) = document["revokedAt"] { revokedAt = date }
        self.init(prefix: prefix, tenantId: tenantId, sourceId: sourceId, createdAt: createdAt, revokedAt: revokedAt)
    }
}
