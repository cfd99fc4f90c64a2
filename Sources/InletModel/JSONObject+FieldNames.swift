extension JSONObject {
    /// The path of the first field name MongoDB cannot store — empty, or containing NUL (BSON keys
    /// are C strings) — at any depth, or `nil` when every name is storable. Checked before a
    /// document reaches the store: refused there, the write would fail like an outage (`503`) and
    /// the sender would retry it forever.
    public var firstUnstorableFieldName: String? {
        for (name, value) in self {
            if name.isEmpty || name.utf8.contains(0) { return "\"\(name.replacingOccurrences(of: "\u{0}", with: "\\u0000"))\"" }
            if let inner = value.firstUnstorableFieldName { return name + "." + inner }
        }
        return nil
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
