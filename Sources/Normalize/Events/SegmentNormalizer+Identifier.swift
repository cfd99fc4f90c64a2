import InletModel

extension SegmentNormalizer {
    /// An id field's value: a string node, copied into the document from the request's bytes
    /// (no `String` made per id), or a number's decimal text as Segment writes it.
    enum Identifier {
        case string(JSONTape.Index)
        case number(String)

        /// Its length in bytes, for the `messageId` limit.
        func byteCount(in tape: JSONTape) -> Int {
            switch self {
            case .string(let index): return tape.stringByteCount(index)
            case .number(let text): return text.utf8.count
            }
        }

        /// As a `String`, for what needs one (profile writes).
        func text(in tape: JSONTape) -> String {
            switch self {
            case .string(let index): return tape.string(index)
            case .number(let text): return text
            }
        }
    }

    /// An id field: a non-empty string, or a number turned into its decimal text as Segment
    /// does. `nil` when absent, `null` or empty.
    static func identifier(_ tape: JSONTape, _ index: JSONTape.Index?, _ key: String) throws(Rejection) -> Identifier? {
        guard let index else { return nil }
        switch tape.kind(index) {
        case .null:
            return nil
        case .string:
            return tape.stringByteCount(index) == 0 ? nil : .string(index)
        case .int:
            return .number(String(tape.int(index)))
        case .double:
            let number = tape.double(index)
            if number.rounded() == number, abs(number) < 9_007_199_254_740_992 { return .number(String(Int64(number))) }
            return .number(number.description)
        default:
            throw Rejection("invalid_field", "\"\(key)\" must be a string")
        }
    }
}

extension BSONWriter {
    /// An id under `key`, from the tape or as its number's text.
    mutating func append(_ key: StaticString, _ identifier: SegmentNormalizer.Identifier, tape: JSONTape) {
        switch identifier {
        case .string(let index): append(key, tape: tape, index)
        case .number(let text): append(key, string: text)
        }
    }
}
