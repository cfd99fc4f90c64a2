/// Copies values from a `JSONTape` into BSON without building `JSONValue`s on the way.
extension BSONWriter {
    /// Value `index` of `tape` under `key`.
    public mutating func append(_ key: StaticString, tape: JSONTape, _ index: JSONTape.Index) {
        key.withUTF8Buffer { append(key: $0, tape: tape, index) }
    }

    /// An object member as it was sent: key node `key`, value node `value`.
    public mutating func appendMember(tape: JSONTape, key: JSONTape.Index, value: JSONTape.Index) {
        tape.withStringBytes(key) { append(key: $0, tape: tape, value) }
    }

    /// Value `index` of `tape` under the name `key`; a string goes in one write with its name.
    mutating func append(key: UnsafeBufferPointer<UInt8>, tape: JSONTape, _ index: JSONTape.Index) {
        let kind = tape.kind(index)
        if kind == .string {
            tape.withStringBytes(index) { append(key: key, string: $0) }
            return
        }
        appendKey(Self.type(of: kind), key)
        appendPayload(tape: tape, index)
    }

    /// Object `index` of `tape` as an embedded document's body (after its key).
    mutating func appendDocument(tape: JSONTape, _ index: JSONTape.Index) {
        let start = beginDocument()
        tape.forEachMember(index) { key, value in appendMember(tape: tape, key: key, value: value) }
        endDocument(start)
    }

    static func type(of kind: JSONTape.Kind) -> ElementType {
        switch kind {
        case .null: return .null
        case .bool: return .bool
        case .int: return .int64
        case .double: return .double
        case .string: return .string
        case .object: return .document
        case .array: return .array
        }
    }

    mutating func appendPayload(tape: JSONTape, _ index: JSONTape.Index) {
        switch tape.kind(index) {
        case .null:
            break
        case .bool:
            appendByte(tape.bool(index) ? 1 : 0)
        case .int:
            appendUInt64(UInt64(bitPattern: tape.int(index)))
        case .double:
            appendUInt64(tape.double(index).bitPattern)
        case .string:
            tape.withStringBytes(index) { appendStringValue($0) }
        case .object:
            appendDocument(tape: tape, index)
        case .array:
            let start = beginDocument()
            tape.forEachElement(index) { position, element in
                appendKey(Self.type(of: tape.kind(element)), index: position)
                appendPayload(tape: tape, element)
            }
            endDocument(start)
        }
    }
}
