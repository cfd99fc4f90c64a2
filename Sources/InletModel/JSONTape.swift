import Foundation

/// A parsed JSON document as one flat array of nodes over the bytes it was parsed from.
///
/// The event path reads a body once and writes BSON from it; a tree of `JSONValue`s (a heap
/// object per string, two arrays per object, all released again) cost more than the parsing.
/// Here a string is a byte range of the input (or of `decoded`, when it had escapes), a number
/// is its value, and a container records how far it reaches, so lookups and copies walk an
/// array without allocating. `JSONParser.tape(_:limits:)` makes one, with the parser's checks.
///
/// Layout: a container's node comes first, then its children in order; an object's children
/// alternate key (a string node) and value. `next(after:)` skips a whole value.
///
/// A class, immutable once parsed: iterators and views hold one reference, not three arrays.
/// `@unchecked Sendable`: its node memory (`Nodes`) is written only while parsing, before the
/// tape exists, and freed only in `deinit`.
public final class JSONTape: @unchecked Sendable {
    public typealias Index = Int

    public enum Kind: UInt8, Sendable {
        case null, bool, int, double, string, object, array
    }

    /// 20 bytes: a body of small values has about one node per few bytes, so the tape stays
    /// within a few times the body's size.
    struct Node {
        var kind: Kind
        /// `bool`: the value; `string`: the bytes are in `decoded` (the string had escapes).
        var flag: Bool = false
        /// Containers: the number of members or elements. Numbers: the low half of `payload`.
        var count: UInt32 = 0
        /// Containers: the index of the first node after the container's last descendant.
        /// Numbers: the high half of `payload`.
        var next: UInt32 = 0
        /// `string`: where its bytes start; containers: the offset of the opening bracket.
        var start: UInt32 = 0
        /// `string`: its length in bytes; containers: their length as sent, brackets included.
        var length: UInt32 = 0

        init(kind: Kind, flag: Bool = false, start: UInt32 = 0, length: UInt32 = 0) {
            self.kind = kind
            self.flag = flag
            self.start = start
            self.length = length
        }

        init(kind: Kind, payload: UInt64) {
            self.kind = kind
            count = UInt32(truncatingIfNeeded: payload)
            next = UInt32(truncatingIfNeeded: payload >> 32)
        }

        /// `int` and `double`: the bit pattern of the value.
        var payload: UInt64 { UInt64(count) | UInt64(next) << 32 }

        /// The index of the node after this one's value, this one being at `index`.
        func next(at index: Int) -> Int {
            switch kind {
            case .object, .array: return Int(next)
            default: return index + 1
            }
        }

        /// Where a string node's bytes are, in the input or in the decoded bytes.
        func bytes(input: UnsafeBufferPointer<UInt8>, decoded: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(rebasing: (flag ? decoded : input)[Int(start)..<Int(start + length)])
        }
    }

    /// The bytes parsed; string nodes without escapes point into them.
    public let input: [UInt8]
    /// Owned: freed in `deinit`, never written after `init`.
    let nodes: Nodes
    /// The decoded bytes of strings that had escapes.
    let decoded: [UInt8]
    /// Whether any object key in the document is empty or holds a NUL, noted while parsing so
    /// that `firstUnstorableFieldName` need not walk every event of a clean body (nearly all).
    let hasUnstorableFieldNames: Bool

    init(input: [UInt8], nodes: Nodes, decoded: [UInt8], hasUnstorableFieldNames: Bool) {
        self.input = input
        self.nodes = nodes
        self.decoded = decoded
        self.hasUnstorableFieldNames = hasUnstorableFieldNames
    }

    deinit {
        nodes.deallocate()
    }

    /// The document's top-level value.
    public var root: Index { 0 }

    public func kind(_ index: Index) -> Kind { nodes[index].kind }

    /// The index of the node after `index`'s value (its descendants included).
    public func next(after index: Index) -> Index { nodes[index].next(at: index) }

    /// Members of an object or elements of an array.
    public func count(_ index: Index) -> Int { Int(nodes[index].count) }

    /// A container's length in bytes as sent (for per-event size limits).
    public func byteLength(_ index: Index) -> Int { Int(nodes[index].length) }

    /// Where a container's bytes are in `input`, brackets included.
    public func byteRange(_ index: Index) -> Range<Int> {
        Int(nodes[index].start)..<Int(nodes[index].start + nodes[index].length)
    }

    public func bool(_ index: Index) -> Bool { nodes[index].flag }
    public func int(_ index: Index) -> Int64 { Int64(bitPattern: nodes[index].payload) }
    public func double(_ index: Index) -> Double { Double(bitPattern: nodes[index].payload) }

    /// Runs `body` over a string node's bytes (decoded, UTF-8, without quotes).
    public func withStringBytes<Result>(_ index: Index, _ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        let node = nodes[index]
        let range = Int(node.start)..<Int(node.start + node.length)
        if node.flag {
            return try decoded.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[range])) }
        }
        return try input.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[range])) }
    }

    public func string(_ index: Index) -> String {
        withStringBytes(index) { String(decoding: $0, as: UTF8.self) }
    }

    public func stringByteCount(_ index: Index) -> Int { Int(nodes[index].length) }

    /// The string at `index` when there is one and it is not empty.
    public func nonEmptyString(_ index: Index?) -> String? {
        guard let index, kind(index) == .string, stringByteCount(index) > 0 else { return nil }
        return string(index)
    }

    /// Whether string node `index` holds exactly `text`.
    public func string(_ index: Index, equals text: StaticString) -> Bool {
        guard nodes[index].length == text.utf8CodeUnitCount else { return false }
        return withStringBytes(index) { Self.bytes($0, equal: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)) }
    }

    /// Byte equality through `memcmp`: the generic `elementsEqual` stepped an iterator per byte.
    /// Up to 16 bytes (field names, the normaliser's lookups) are compared as two overlapping
    /// words in line: a call into libc's `memcmp` per name showed in the batch profile.
    @inlinable @inline(__always)
    public static func bytes(_ a: UnsafeBufferPointer<UInt8>, equal b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        guard let first = a.baseAddress, let second = b.baseAddress, a.count > 0 else { return true }
        let count = a.count
        let x = UnsafeRawPointer(first)
        let y = UnsafeRawPointer(second)
        switch count {
        case 8...16:
            return x.loadUnaligned(as: UInt64.self) == y.loadUnaligned(as: UInt64.self)
                && x.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self) == y.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
        case 4..<8:
            return x.loadUnaligned(as: UInt32.self) == y.loadUnaligned(as: UInt32.self)
                && x.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self) == y.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)
        case 1..<4:
            for offset in 0..<count where first[offset] != second[offset] { return false }
            return true
        default:
            return memcmp(first, second, count) == 0
        }
    }

    /// Whether containers `a` and `b` were sent as the same bytes, and so parse the same. The
    /// normaliser uses this to write a context repeated across a batch's events only once.
    public func sameText(_ a: Index, _ b: Index) -> Bool {
        precondition(kind(a) == .object || kind(a) == .array, "JSONTape.sameText: not a container")
        guard nodes[a].kind == nodes[b].kind, nodes[a].length == nodes[b].length else { return false }
        return input.withUnsafeBufferPointer { input in
            Self.bytes(UnsafeBufferPointer(rebasing: input[byteRange(a)]), equal: UnsafeBufferPointer(rebasing: input[byteRange(b)]))
        }
    }

    /// Whether string nodes `a` and `b` hold the same bytes.
    public func stringsEqual(_ a: Index, _ b: Index) -> Bool {
        guard nodes[a].length == nodes[b].length else { return false }
        return withStringBytes(a) { first in withStringBytes(b) { second in Self.bytes(first, equal: second) } }
    }

    /// The members of object `index` as (key node, value node) pairs, in the order sent.
    public func members(_ index: Index) -> Members { Members(tape: self, object: index) }

    /// The elements of array `index`, in order.
    public func elements(_ index: Index) -> Elements { Elements(tape: self, array: index) }

    /// Calls `body` with each member of object `index` (key node, value node), in the order sent.
    /// For hot loops: unlike `members`, no iterator holds (retains and releases) the tape.
    @inline(__always)
    public func forEachMember(_ index: Index, _ body: (_ key: Index, _ value: Index) throws -> Void) rethrows {
        guard kind(index) == .object else { return }
        var key = index + 1
        for _ in 0..<count(index) {
            try body(key, key + 1)
            key = next(after: key + 1)
        }
    }

    /// Calls `body` with each element of array `index` and its position, in order; see `forEachMember`.
    @inline(__always)
    public func forEachElement(_ index: Index, _ body: (_ position: Int, _ element: Index) throws -> Void) rethrows {
        guard kind(index) == .array else { return }
        var element = index + 1
        for position in 0..<count(index) {
            try body(position, element)
            element = next(after: element)
        }
    }

    /// The value of member `key` of object `index`, or `nil`.
    public func member(_ index: Index, _ key: StaticString) -> Index? {
        for (name, value) in members(index) where string(name, equals: key) { return value }
        return nil
    }

    public struct Members: Sequence, IteratorProtocol {
        var children: Children

        init(tape: JSONTape, object: Index) {
            children = Children(tape: tape, container: object, kind: .object)
        }

        public mutating func next() -> (key: Index, value: Index)? {
            children.next().map { ($0, $0 + 1) }
        }
    }

    public struct Elements: Sequence, IteratorProtocol {
        var children: Children

        init(tape: JSONTape, array: Index) {
            children = Children(tape: tape, container: array, kind: .array)
        }

        public mutating func next() -> Index? { children.next() }
    }

    /// Steps over a container's children: each element, or each member's key (its value follows).
    struct Children {
        let tape: JSONTape
        var position: Index
        var remaining: Int
        /// 1 for objects: a member is its key node and then its value.
        let valueOffset: Int

        init(tape: JSONTape, container: Index, kind: Kind) {
            self.tape = tape
            position = container + 1
            remaining = tape.kind(container) == kind ? tape.count(container) : 0
            valueOffset = kind == .object ? 1 : 0
        }

        mutating func next() -> Index? {
            guard remaining > 0 else { return nil }
            remaining -= 1
            let child = position
            position = tape.next(after: child + valueOffset)
            return child
        }
    }
}

extension JSONTape {
    /// The value at `index` as a `JSONValue` tree, for code that wants one (rare paths, tests).
    public func value(_ index: Index) -> JSONValue {
        switch kind(index) {
        case .null: return .null
        case .bool: return .bool(bool(index))
        case .int: return .int(int(index))
        case .double: return .double(double(index))
        case .string: return .string(string(index))
        case .object: return .object(object(index))
        case .array: return .array(elements(index).map { value($0) })
        }
    }

    /// Object `index` as a `JSONObject`.
    public func object(_ index: Index) -> JSONObject {
        var object = JSONObject()
        object.reserveCapacity(count(index))
        for (key, value) in members(index) { object.appendUnchecked(string(key), self.value(value)) }
        return object
    }
}

extension JSONTape {
    /// The path of the first field name MongoDB cannot store (empty, or containing NUL) within
    /// value `index`, as `JSONObject.firstUnstorableFieldName` spells it; `nil` when all are fine.
    public func firstUnstorableFieldName(_ index: Index) -> String? {
        guard hasUnstorableFieldNames else { return nil }
        switch kind(index) {
        case .object:
            for (key, value) in members(index) {
                if withStringBytes(key, { $0.isEmpty || $0.contains(0) }) {
                    return "\"\(string(key).replacingOccurrences(of: "\u{0}", with: "\\u0000"))\""
                }
                if let inner = firstUnstorableFieldName(value) { return string(key) + "." + inner }
            }
            return nil
        case .array:
            for (position, element) in elements(index).enumerated() {
                if let inner = firstUnstorableFieldName(element) { return "\(position)." + inner }
            }
            return nil
        default:
            return nil
        }
    }
}
