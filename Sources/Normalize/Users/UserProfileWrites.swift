import Foundation
import InletModel

/// The writes that keep `userDetails` and the `userAttributes` catalog current when a user's traits
/// arrive, from an `identify` call or a user import. Shared by both so the two paths merge traits
/// the same way: each trait is `$set` on its own (other traits stay), `firstSeenAt` is set once,
/// `lastSeenAt` only moves forward.
public enum UserProfileWrites {
    public static func make(
        tenantId: String, sourceId: String, userId: String, traits: JSONObject, seenAt: Date
    ) -> [StoreWrite] {
        var set = JSONObject()
        set["sourceId"] = .string(sourceId)
        var catalog: [StoreWrite] = []
        for (name, value) in traits {
            let field = storedFieldName(name)
            set.appendUnchecked("traits." + field, value)
            if let type = AttributeType.infer(value) {
                catalog.append(attributeWrite(tenantId: tenantId, sourceId: sourceId, name: field, type: type, seenAt: seenAt))
            }
        }
        let user = StoreWrite.upsert(
            Collections.userDetails,
            filter: ["tenantId": .string(tenantId), "userId": .string(userId)],
            update: [
                "$set": .object(set),
                "$setOnInsert": ["firstSeenAt": .date(seenAt)],
                "$max": ["lastSeenAt": .date(seenAt)],
            ]
        )
        return [user] + catalog
    }

    /// One catalog entry per attribute name and tenant. The first type seen is the attribute's
    /// `type`; every type ever seen is kept in `seenTypes`, so a conflict is recorded, not hidden.
    static func attributeWrite(tenantId: String, sourceId: String, name: String, type: AttributeType, seenAt: Date) -> StoreWrite {
        .upsert(
            Collections.userAttributes,
            filter: ["tenantId": .string(tenantId), "name": .string(name)],
            update: [
                "$setOnInsert": ["type": .string(type.rawValue), "sourceId": .string(sourceId), "firstSeenAt": .date(seenAt)],
                "$addToSet": ["seenTypes": .string(type.rawValue)],
                "$max": ["lastSeenAt": .date(seenAt)],
            ]
        )
    }

    /// MongoDB reads `.` in an update path as nesting and refuses a leading `$`; a trait named
    /// `a.b` or `$x` is stored under a name with those characters replaced by their full-width forms.
    static func storedFieldName(_ name: String) -> String {
        guard name.contains(".") || name.hasPrefix("$") || name.isEmpty else { return name }
        if name.isEmpty { return "\u{FF3F}" }
        var escaped = name.replacingOccurrences(of: ".", with: "\u{FF0E}")
        if escaped.hasPrefix("$") { escaped = "\u{FF04}" + escaped.dropFirst() }
        return escaped
    }
}

/// The type recorded for an attribute in the `userAttributes` catalog.
public enum AttributeType: String, Sendable, Hashable {
    case string, number, boolean, date, object, array

    /// `nil` for `null`, which says nothing about the attribute's type.
    public static func infer(_ value: JSONValue) -> AttributeType? {
        switch value {
        case .null: return nil
        case .bool: return .boolean
        case .int, .double: return .number
        case .string: return .string
        case .date: return .date
        case .array: return .array
        case .object: return .object
        }
    }
}
