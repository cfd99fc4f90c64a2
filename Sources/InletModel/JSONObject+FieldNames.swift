extension JSONObject {
    /// The path of the first field name MongoDB cannot store — empty, or containing NUL (BSON keys
    /// are C strings) — at any depth, or `nil` when every name is storable. Checked before a
    /// document reaches the store: refused there, the write would fail like an outage (`503`) and
    /// the sender would retry it forever.
    public var firstUnstorableFieldName: String? {
        // By position rather than through `zip`, and each name's bytes searched in place: this
        // runs over every provider event's document.
        for index in keys.indices {
            let name = keys[index]
            if !Self.isStorable(name) { return "\"\(name.replacingOccurrences(of: "\u{0}", with: "\\u0000"))\"" }
            switch values[index] {
            case .object, .array:
                if let inner = values[index].firstUnstorableFieldName { return name + "." + inner }
            default:
                continue
            }
        }
        return nil
    }

    /// Not empty and without NUL.
    static func isStorable(_ name: String) -> Bool {
        guard !name.isEmpty else { return false }
        if let found = name.utf8.withContiguousStorageIfAvailable({ $0.firstIndex(of: 0) != nil }) { return !found }
        return !name.utf8.contains(0)
    }
}

extension JSONValue {
    /// See `JSONObject.firstUnstorableFieldName`; arrays are searched too.
    public var firstUnstorableFieldName: String? {
        switch self {
        case .object(let object):
            return object.firstUnstorableFieldName
        case .array(let elements):
            for (index, element) in elements.enumerated() {
                if let inner = element.firstUnstorableFieldName { return "\(index)." + inner }
            }
            return nil
        default:
            return nil
        }
    }
}
