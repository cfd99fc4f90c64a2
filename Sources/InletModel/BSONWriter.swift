import Foundation

/// Writes BSON (bsonspec.org) into a byte array: the documents inlet stores, built without a
/// libbson call per field, from a `JSONObject` or straight from a `JSONTape`.
///
/// Field names are C strings in BSON, so a name is written up to its first NUL; normalisation
/// refuses such names before they get here (`firstUnstorableFieldName`).
public struct BSONWriter: Sendable {
    public internal(set) var bytes: [UInt8] = []

    public init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    enum ElementType: UInt8 {
        case double = 0x01, string = 0x02, document = 0x03, array = 0x04, bool = 0x08, dateTime = 0x09,
             null = 0x0A, int64 = 0x12
    }

    /// Opens a document (the top level, or the value of an element whose key is written);
    /// returns where its length goes, for `endDocument(_:)`.
    public mutating func beginDocument() -> Int {
        let start = bytes.count
        appendInt32(0)
        return start
    }

    /// Opens an embedded document under `key`; close it with `endDocument(_:)`.
    public mutating func beginDocument(_ key: String) -> Int {
        appendKey(.document, key)
        return beginDocument()
    }

    public mutating func endDocument(_ start: Int) {
        bytes.append(0)
        let length = UInt32(truncatingIfNeeded: bytes.count - start)
        bytes[start] = UInt8(truncatingIfNeeded: length)
        bytes[start + 1] = UInt8(truncatingIfNeeded: length >> 8)
        bytes[start + 2] = UInt8(truncatingIfNeeded: length >> 16)
        bytes[start + 3] = UInt8(truncatingIfNeeded: length >> 24)
    }

    mutating func appendKey(_ type: ElementType, _ key: UnsafeBufferPointer<UInt8>) {
        bytes.append(type.rawValue)
        if let nul = key.firstIndex(of: 0) {
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: key[..<nul]))
        } else {
            bytes.append(contentsOf: key)
        }
        bytes.append(0)
    }

    mutating func appendKey(_ type: ElementType, _ key: String) {
        var key = key
        key.withUTF8 { appendKey(type, $0) }
    }

    /// An array element's key: its index in decimal.
    mutating func appendKey(_ type: ElementType, index: Int) {
        bytes.append(type.rawValue)
        if index < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(index))
        } else {
            bytes.append(contentsOf: String(index).utf8)
        }
        bytes.append(0)
    }

    mutating func appendInt32(_ value: Int32) {
        let bits = UInt32(bitPattern: value)
        bytes.append(UInt8(truncatingIfNeeded: bits))
        bytes.append(UInt8(truncatingIfNeeded: bits >> 8))
        bytes.append(UInt8(truncatingIfNeeded: bits >> 16))
        bytes.append(UInt8(truncatingIfNeeded: bits >> 24))
    }

    mutating func appendUInt64(_ bits: UInt64) {
        withUnsafeBytes(of: bits.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func appendStringValue(_ value: UnsafeBufferPointer<UInt8>) {
        appendInt32(Int32(truncatingIfNeeded: value.count + 1))
        bytes.append(contentsOf: value)
        bytes.append(0)
    }

    // MARK: Fields

    public mutating func append(_ key: String, string value: String) {
        appendKey(.string, key)
        var value = value
        value.withUTF8 { appendStringValue($0) }
    }

    public mutating func append(_ key: String, date: Date) {
        appendKey(.dateTime, key)
        appendUInt64(UInt64(bitPattern: Self.milliseconds(date)))
    }

    public mutating func append(_ key: String, _ value: JSONValue) {
        var key = key
        key.withUTF8 { append(key: $0, value) }
    }

    mutating func append(key: UnsafeBufferPointer<UInt8>, _ value: JSONValue) {
        appendKey(Self.type(of: value), key)
        appendPayload(value)
    }

    static func type(of value: JSONValue) -> ElementType {
        switch value {
        case .null: return .null
        case .bool: return .bool
        case .int: return .int64
        case .double: return .double
        case .string: return .string
        case .date: return .dateTime
        case .object: return .document
        case .array: return .array
        }
    }

    /// The value part of an element whose type and key are written.
    mutating func appendPayload(_ value: JSONValue) {
        switch value {
        case .null:
            break
        case .bool(let bool):
            bytes.append(bool ? 1 : 0)
        case .int(let int):
            appendUInt64(UInt64(bitPattern: int))
        case .double(let double):
            appendUInt64(double.bitPattern)
        case .string(var string):
            string.withUTF8 { appendStringValue($0) }
        case .date(let date):
            appendUInt64(UInt64(bitPattern: Self.milliseconds(date)))
        case .object(let object):
            append(object)
        case .array(let elements):
            let start = beginDocument()
            for (index, element) in elements.enumerated() {
                appendKey(Self.type(of: element), index: index)
                appendPayload(element)
            }
            endDocument(start)
        }
    }

    /// `object` as a document, in its key order.
    public mutating func append(_ object: JSONObject) {
        let start = beginDocument()
        for (key, value) in object { append(key, value) }
        endDocument(start)
    }

    /// `object` encoded as one BSON document.
    public static func document(_ object: JSONObject) -> [UInt8] {
        var writer = BSONWriter()
        writer.append(object)
        return writer.bytes
    }

    /// Milliseconds since the epoch, rounded down, as BSON dates store them.
    public static func milliseconds(_ date: Date) -> Int64 {
        let value = (date.timeIntervalSince1970 * 1000).rounded(.down)
        return Int64(exactly: value) ?? (value < 0 ? Int64.min : Int64.max)
    }
}
