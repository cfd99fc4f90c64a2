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
        let profile = Profile(tenantId: tenantId, sourceId: sourceId, userId: userId, traits: traits, seenAt: seenAt)
        return [.upsert(Collections.userDetails, filter: profile.filter, update: profile.update)] + profile.catalog
    }

    /// The same writes for a user import, where most users are usually new: the user is inserted
    /// whole, and only when the unique index already holds them is the upsert of `make` applied
    /// (traits merged, `firstSeenAt` kept). Same documents as `make`, at the price of an insert.
    public static func makeInsertingFirst(
        tenantId: String, sourceId: String, userId: String, traits: JSONObject, seenAt: Date
    ) -> [StoreWrite] {
        let profile = Profile(tenantId: tenantId, sourceId: sourceId, userId: userId, traits: traits, seenAt: seenAt)
        let user = StoreWrite.insertOrUpdate(
            Collections.userDetails, document: profile.newDocument(), filter: profile.filter, update: profile.update)
        return [user] + profile.catalog
    }

    /// One user's traits as the writes need them: update operators for a stored user, and what a
    /// new user's whole document is made from.
    private struct Profile {
        var filter: JSONObject
        var update: JSONObject
        var catalog: [StoreWrite] = []
        private var sourceId: String
        private var seenAt: Date
        /// The traits under their stored names, in column order.
        private var storedTraits = JSONObject()

        init(tenantId: String, sourceId: String, userId: String, traits: JSONObject, seenAt: Date) {
            self.sourceId = sourceId
            self.seenAt = seenAt
            var set = JSONObject()
            set["sourceId"] = .string(sourceId)
            for (name, value) in traits {
                let field = storedFieldName(name)
                set.appendUnchecked("traits." + field, value)
                storedTraits.appendUnchecked(field, value)
                if let type = AttributeType.infer(value) {
                    catalog.append(attributeWrite(tenantId: tenantId, sourceId: sourceId, name: field, type: type, seenAt: seenAt))
                }
            }
            filter = ["tenantId": .string(tenantId), "userId": .string(userId)]
            update = [
                "$set": .object(set),
                "$setOnInsert": ["firstSeenAt": .date(seenAt)],
                "$max": ["lastSeenAt": .date(seenAt)],
            ]
        }

        /// The document `update` would create for a new user: no `traits` field when there are
        /// none, and a name that two traits share after escaping holds the later value, as `$set` does.
        func newDocument() -> JSONObject {
            var document = filter
            document["sourceId"] = .string(sourceId)
            if !storedTraits.isEmpty {
                var traits = JSONObject()
                for (name, value) in storedTraits { traits[name] = value }
                document["traits"] = .object(traits)
            }
            document["firstSeenAt"] = .date(seenAt)
            document["lastSeenAt"] = .date(seenAt)
            return document
        }
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
