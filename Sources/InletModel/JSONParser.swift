/// A strict RFC 8259 parser for request bodies that come from the internet.
///
/// It refuses what lenient parsers quietly accept, because each of those is a way for two
/// readers of the same body to disagree: invalid UTF-8, unpaired surrogates, duplicate keys,
/// leading zeros, trailing commas or data. Work is bounded by the input: nesting stops at
/// `Limits.maxDepth` (so recursion cannot exhaust the stack), duplicate-key checks switch to a
/// hash set for large objects, and nothing traps on any byte sequence.
public enum JSONParser {
    public struct Limits: Sendable, Hashable {
        /// Deepest nesting of arrays and objects accepted; the top-level container is depth 1.
        /// Values above `hardMaxDepth` are treated as `hardMaxDepth`.
        public var maxDepth: Int
        /// Longest number literal accepted, in bytes; bounds the work of decimal conversion.
        public var maxNumberLength: Int

        public init(maxDepth: Int = 64, maxNumberLength: Int = 1_024) {
            self.maxDepth = maxDepth
            self.maxNumberLength = maxNumberLength
        }

        /// The parser recurses once per level, so the ceiling keeps stack use small on any thread.
        public static let hardMaxDepth = 512
    }

    /// Parses `bytes` into a `JSONTape`, the form the event path reads without building a tree.
    public static func tape(_ bytes: [UInt8], limits: Limits = .init()) throws(JSONParseError) -> JSONTape {
        // Node offsets are 32-bit; request bodies are limited far below that.
        guard bytes.count < Int(UInt32.max) else { throw .syntax("document too large", at: 0) }
        let result: Result<JSONTape, JSONParseError> = bytes.withUnsafeBufferPointer { buffer in
            var reader = Reader(bytes: buffer, limits: limits)
            do throws(JSONParseError) {
                try reader.parseDocument()
            } catch {
                // No tape takes the nodes: they are freed here.
                reader.nodes.deallocate()
                return .failure(error)
            }
            return .success(JSONTape(
                input: bytes, nodes: reader.nodes, decoded: reader.decoded, hasUnstorableFieldNames: reader.hasUnstorableFieldNames))
        }
        return try result.get()
    }

    public static func parse(_ bytes: [UInt8], limits: Limits = .init()) throws(JSONParseError) -> JSONValue {
        let tape = try tape(bytes, limits: limits)
        return tape.value(tape.root)
    }

    public static func parse(_ text: String, limits: Limits = .init()) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8), limits: limits)
    }

    /// For any byte collection (`ByteBuffer.readableBytesView`, `Data`, `String.UTF8View`).
    public static func parse(_ bytes: some Sequence<UInt8>, limits: Limits = .init()) throws(JSONParseError) -> JSONValue {
        try parse(Array(bytes), limits: limits)
    }
}

extension JSONParser {
    /// The parsing state over one input buffer. Every read is checked against `bytes.count`.
    struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        let maxDepth: Int
        let maxNumberLength: Int
        var index = 0
        var depth = 0
        /// The tape's nodes and decoded string bytes so far. The nodes are the tape's to free
        /// once it is made, `tape(_:limits:)`'s if parsing fails.
        var nodes: JSONTape.Nodes
        var decoded: [UInt8] = []
        /// Whether some object key is empty or holds a NUL (see `JSONTape.hasUnstorableFieldNames`).
        var hasUnstorableFieldNames = false

        init(bytes: UnsafeBufferPointer<UInt8>, limits: Limits) {
            self.bytes = bytes
            nodes = JSONTape.Nodes(capacity: bytes.count / 8 + 4)
            self.maxDepth = min(max(limits.maxDepth, 0), Limits.hardMaxDepth)
            self.maxNumberLength = max(limits.maxNumberLength, 1)
        }

        mutating func parseDocument() throws(JSONParseError) {
            skipWhitespace()
            guard index < bytes.count else { throw .syntax("empty input", at: index) }
            try parseValue()
            skipWhitespace()
            guard index == bytes.count else { throw .syntax("unexpected data after the JSON value", at: index) }
        }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x0A, 0x0D, 0x09: index += 1
                default: return
                }
            }
        }

        mutating func parseValue() throws(JSONParseError) {
            guard index < bytes.count else { throw .syntax("unexpected end of input", at: index) }
            switch bytes[index] {
            case UInt8(ascii: "{"): try parseObject()
            case UInt8(ascii: "["): try parseArray()
            case UInt8(ascii: "\""): try parseString()
            case UInt8(ascii: "t"): try expectLiteral("true"); nodes.append(.init(kind: .bool, flag: true))
            case UInt8(ascii: "f"): try expectLiteral("false"); nodes.append(.init(kind: .bool, flag: false))
            case UInt8(ascii: "n"): try expectLiteral("null"); nodes.append(.init(kind: .null))
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try parseNumber()
            default: throw .syntax("unexpected character", at: index)
            }
        }

        mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
            let length = literal.utf8CodeUnitCount
            guard bytes.count - index >= length else { throw .syntax("invalid literal", at: index) }
            let expected = UnsafeBufferPointer(start: literal.utf8Start, count: length)
            for offset in 0..<length where bytes[index + offset] != expected[offset] {
                throw .syntax("invalid literal", at: index + offset)
            }
            index += length
        }

        mutating func enterContainer() throws(JSONParseError) {
            depth += 1
            guard depth <= maxDepth else {
                throw JSONParseError(code: "too_deep", message: "nesting deeper than \(maxDepth)", offset: index)
            }
            index += 1
        }

        /// Records where container `node`, opened at byte `opening`, ends.
        mutating func close(_ node: Int, count: Int, opening: Int) {
            nodes[node].count = UInt32(count)
            nodes[node].next = UInt32(nodes.count)
            nodes[node].start = UInt32(opening)
            nodes[node].length = UInt32(index - opening)
        }

        mutating func parseObject() throws(JSONParseError) {
            let opening = index
            try enterContainer()
            let node = nodes.count
            nodes.append(.init(kind: .object))
            var count = 0
            /// Made only once an object is large enough that linear duplicate checks would be
            /// quadratic. Optional: an empty set, made and dropped for every object, cost a
            /// release call each (on the shared empty storage) in the batch profile.
            var seenKeys: Set<[UInt8]>?
            /// Bit `n` set: a key of `n` bytes (63: of 63 or more) came before. A key whose length
            /// no earlier key has cannot repeat one, and most keys of an object differ in length.
            var keyLengths: UInt64 = 0
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                depth -= 1
                close(node, count: 0, opening: opening)
                return
            }
            while true {
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                    throw .syntax("expected a string key", at: index)
                }
                let keyOffset = index
                let key = nodes.count
                try parseString()
                if !hasUnstorableFieldNames, nodes[key].length == 0 || nodes[key].flag {
                    hasUnstorableFieldNames = isUnstorableKey(key)
                }
                if count < 16 {
                    let keyLength = nodes[key].length
                    let lengthBit: UInt64 = 1 << UInt64(min(keyLength, 63))
                    if keyLengths & lengthBit != 0 {
                        var earlier = node + 1
                        // Lengths first, here: the call to compare bytes (with its copies of both
                        // nodes) showed in profiles on its own.
                        for _ in 0..<count {
                            if nodes[earlier].length == keyLength, sameKey(earlier, key) { throw duplicateKey(key, at: keyOffset) }
                            earlier = nodes[earlier + 1].next(at: earlier + 1)
                        }
                    }
                    keyLengths |= lengthBit
                } else {
                    if seenKeys == nil {
                        var earlier = node + 1
                        var keys = Set<[UInt8]>(minimumCapacity: 2 * count)
                        for _ in 0..<count {
                            keys.insert(keyBytes(earlier))
                            earlier = nodes[earlier + 1].next(at: earlier + 1)
                        }
                        seenKeys = keys
                    }
                    guard seenKeys!.insert(keyBytes(key)).inserted else { throw duplicateKey(key, at: keyOffset) }
                }
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                    throw .syntax("expected ':' after a key", at: index)
                }
                index += 1
                skipWhitespace()
                count += 1
                try parseValue()
                skipWhitespace()
                guard index < bytes.count else { throw .syntax("unterminated object", at: index) }
                switch bytes[index] {
                case UInt8(ascii: ","):
                    index += 1
                    skipWhitespace()
                case UInt8(ascii: "}"):
                    index += 1
                    depth -= 1
                    close(node, count: count, opening: opening)
                    return
                default:
                    throw .syntax("expected ',' or '}' in an object", at: index)
                }
            }
        }

        func duplicateKey(_ key: Int, at offset: Int) -> JSONParseError {
            let name = String(decoding: keyBytes(key), as: UTF8.self)
            return JSONParseError(code: "duplicate_key", message: "duplicate key \"\(name.prefix(64))\"", offset: offset)
        }

        /// Whether string nodes `a` and `b` (keys of the object being read) hold the same bytes.
        func sameKey(_ a: Int, _ b: Int) -> Bool {
            let (first, second) = (nodes[a], nodes[b])
            guard first.length == second.length else { return false }
            return decoded.withUnsafeBufferPointer { decoded in
                JSONTape.bytes(first.bytes(input: bytes, decoded: decoded), equal: second.bytes(input: bytes, decoded: decoded))
            }
        }

        /// Empty, or holding a NUL. A raw NUL is refused as a control character, so only a key
        /// with escapes (`\u0000`) can hold one: keys without escapes need no scan.
        func isUnstorableKey(_ key: Int) -> Bool {
            let node = nodes[key]
            guard node.length > 0 else { return true }
            guard node.flag else { return false }
            return decoded.withUnsafeBufferPointer { node.bytes(input: bytes, decoded: $0).contains(0) }
        }

        func keyBytes(_ key: Int) -> [UInt8] {
            decoded.withUnsafeBufferPointer { Array(nodes[key].bytes(input: bytes, decoded: $0)) }
        }

        mutating func parseArray() throws(JSONParseError) {
            let opening = index
            try enterContainer()
            let node = nodes.count
            nodes.append(.init(kind: .array))
            var count = 0
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                depth -= 1
                close(node, count: 0, opening: opening)
                return
            }
            while true {
                try parseValue()
                count += 1
                skipWhitespace()
                guard index < bytes.count else { throw .syntax("unterminated array", at: index) }
                switch bytes[index] {
                case UInt8(ascii: ","):
                    index += 1
                    skipWhitespace()
                case UInt8(ascii: "]"):
                    index += 1
                    depth -= 1
                    close(node, count: count, opening: opening)
                    return
                default:
                    throw .syntax("expected ',' or ']' in an array", at: index)
                }
            }
        }

        /// Reads a string starting at its opening quote into a string node. Strings without
        /// escapes (nearly all of them) are validated in place and point into the input.
        mutating func parseString() throws(JSONParseError) {
            let opening = index
            index += 1
            let start = index
            while index < bytes.count {
                skipPlainASCII()
                guard index < bytes.count else { break }
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    nodes.append(.init(kind: .string, start: UInt32(start), length: UInt32(index - start)))
                    index += 1
                    return
                } else if byte == UInt8(ascii: "\\") {
                    return try parseEscapedString(from: start, opening: opening)
                } else if byte < 0x20 {
                    throw JSONParseError(code: "control_character", message: "unescaped control character in a string", offset: index)
                } else if byte < 0x80 {
                    index += 1
                } else {
                    try skipUTF8Sequence()
                }
            }
            throw .syntax("unterminated string", at: opening)
        }

        /// The slow path: copies what was scanned so far to the tape's `decoded` bytes, then
        /// decodes escapes after it.
        mutating func parseEscapedString(from start: Int, opening: Int) throws(JSONParseError) {
            let decodedStart = decoded.count
            decoded.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    nodes.append(.init(
                        kind: .string, flag: true, start: UInt32(decodedStart), length: UInt32(decoded.count - decodedStart)))
                    return
                } else if byte == UInt8(ascii: "\\") {
                    try appendEscape()
                } else if byte < 0x20 {
                    throw JSONParseError(code: "control_character", message: "unescaped control character in a string", offset: index)
                } else if byte < 0x80 {
                    decoded.append(byte)
                    index += 1
                } else {
                    let sequenceStart = index
                    try skipUTF8Sequence()
                    decoded.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[sequenceStart..<index]))
                }
            }
            throw .syntax("unterminated string", at: opening)
        }

        /// Validates one multi-byte UTF-8 sequence (RFC 3629 table 3-7: no overlong forms, no
        /// encoded surrogates, nothing above U+10FFFF) and steps over it.
        mutating func skipUTF8Sequence() throws(JSONParseError) {
            let lead = bytes[index]
            let length: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; high = 0x9F
            case 0xF0: length = 4; low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F
            default: throw .invalidUTF8(at: index)
            }
            guard bytes.count - index >= length else { throw .invalidUTF8(at: index) }
            let second = bytes[index + 1]
            guard second >= low, second <= high else { throw .invalidUTF8(at: index) }
            var offset = 2
            while offset < length {
                guard bytes[index + offset] & 0xC0 == 0x80 else { throw .invalidUTF8(at: index) }
                offset += 1
            }
            index += length
        }

        mutating func appendEscape() throws(JSONParseError) {
            let escapeOffset = index
            index += 1
            guard index < bytes.count else { throw .syntax("unterminated string", at: escapeOffset) }
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(byte)
            case UInt8(ascii: "b"): decoded.append(0x08)
            case UInt8(ascii: "f"): decoded.append(0x0C)
            case UInt8(ascii: "n"): decoded.append(0x0A)
            case UInt8(ascii: "r"): decoded.append(0x0D)
            case UInt8(ascii: "t"): decoded.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try readHex4()
                if scalar >= 0xD800, scalar <= 0xDBFF {
                    guard bytes.count - index >= 2, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw .invalidEscape("unpaired high surrogate", at: escapeOffset)
                    }
                    index += 2
                    let trail = try readHex4()
                    guard trail >= 0xDC00, trail <= 0xDFFF else { throw .invalidEscape("unpaired high surrogate", at: escapeOffset) }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (trail - 0xDC00)
                } else if scalar >= 0xDC00, scalar <= 0xDFFF {
                    throw .invalidEscape("unpaired low surrogate", at: escapeOffset)
                }
                appendUTF8(scalar)
            default:
                throw .invalidEscape("unknown escape", at: escapeOffset)
            }
        }

        mutating func readHex4() throws(JSONParseError) -> UInt32 {
            guard bytes.count - index >= 4 else { throw .invalidEscape("truncated \\u escape", at: index) }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw .invalidEscape("invalid hex digit in \\u escape", at: index)
                }
                value = value << 4 | UInt32(digit)
                index += 1
            }
            return value
        }

        /// `scalar` is at most U+10FFFF and never a surrogate here.
        mutating func appendUTF8(_ scalar: UInt32) {
            switch scalar {
            case 0..<0x80:
                decoded.append(UInt8(truncatingIfNeeded: scalar))
            case 0x80..<0x800:
                decoded.append(UInt8(truncatingIfNeeded: 0xC0 | scalar >> 6))
                decoded.append(UInt8(truncatingIfNeeded: 0x80 | scalar & 0x3F))
            case 0x800..<0x10000:
                decoded.append(UInt8(truncatingIfNeeded: 0xE0 | scalar >> 12))
                decoded.append(UInt8(truncatingIfNeeded: 0x80 | scalar >> 6 & 0x3F))
                decoded.append(UInt8(truncatingIfNeeded: 0x80 | scalar & 0x3F))
            default:
                decoded.append(UInt8(truncatingIfNeeded: 0xF0 | scalar >> 18))
                decoded.append(UInt8(truncatingIfNeeded: 0x80 | scalar >> 12 & 0x3F))
                decoded.append(UInt8(truncatingIfNeeded: 0x80 | scalar >> 6 & 0x3F))
                decoded.append(UInt8(truncatingIfNeeded: 0x80 | scalar & 0x3F))
            }
        }

        func isDigit(at position: Int) -> Bool {
            position < bytes.count && bytes[position] >= UInt8(ascii: "0") && bytes[position] <= UInt8(ascii: "9")
        }

        mutating func skipDigits() {
            while isDigit(at: index) { index += 1 }
        }

        /// Integers that fit `Int64` become `.int`, so ids and counts stay exact; everything
        /// else becomes a finite `.double`, correctly rounded.
        mutating func parseNumber() throws(JSONParseError) {
            let start = index
            let negative = bytes[index] == UInt8(ascii: "-")
            if negative { index += 1 }
            let integerStart = index
            guard isDigit(at: index) else { throw .syntax("expected a digit", at: index) }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
                if isDigit(at: index) { throw .syntax("leading zeros are not allowed", at: index) }
            } else {
                skipDigits()
            }
            let integerEnd = index
            var isInteger = true
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                isInteger = false
                index += 1
                guard isDigit(at: index) else { throw .syntax("expected a digit after '.'", at: index) }
                skipDigits()
            }
            if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
                isInteger = false
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard isDigit(at: index) else { throw .syntax("expected a digit in the exponent", at: index) }
                skipDigits()
            }
            guard index - start <= maxNumberLength else {
                throw JSONParseError(code: "number_out_of_range", message: "number literal longer than \(maxNumberLength) bytes", offset: start)
            }
            if isInteger, integerEnd - integerStart <= 19, let value = integerValue(integerStart..<integerEnd, negative: negative) {
                nodes.append(.init(kind: .int, payload: UInt64(bitPattern: value)))
                return
            }
            if let value = shortDecimalValue(start..<index, negative: negative) {
                nodes.append(.init(kind: .double, payload: value.bitPattern))
                return
            }
            let literal = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            guard let value = Double(literal), value.isFinite else {
                throw JSONParseError(code: "number_out_of_range", message: "number does not fit a finite double", offset: start)
            }
            nodes.append(.init(kind: .double, payload: value.bitPattern))
        }

        /// `nil` when the digits do not fit `Int64`.
        func integerValue(_ digits: Range<Int>, negative: Bool) -> Int64? {
            var magnitude: UInt64 = 0
            for position in digits {
                let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times10.addingReportingOverflow(UInt64(bytes[position] &- UInt8(ascii: "0")))
                if overflow1 || overflow2 { return nil }
                magnitude = sum
            }
            if negative {
                guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
                return Int64(truncatingIfNeeded: 0 &- magnitude)
            }
            guard magnitude <= UInt64(Int64.max) else { return nil }
            return Int64(magnitude)
        }
    }
}
