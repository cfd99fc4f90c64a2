import Foundation

/// Reads BSON that `BSONWriter` wrote back into a `JSONObject`: for code that inspects a stored
/// document before it is stored (trigger rules, tests). Reads only the element types the writer
/// produces (and int32); anything else, or a malformed document, reads as far as it is sound.
public enum BSONReader {
    public static func object(_ bytes: [UInt8]) -> JSONObject {
        bytes.withUnsafeBufferPointer { buffer in
            var position = 0
            return readDocument(buffer, &position) ?? JSONObject()
        }
    }

    static func readDocument(_ bytes: UnsafeBufferPointer<UInt8>, _ position: inout Int) -> JSONObject? {
        guard let length = readInt32(bytes, &position), length >= 5, position - 4 + Int(length) <= bytes.count else { return nil }
        let end = position - 4 + Int(length) - 1
        var object = JSONObject()
        while position < end {
            let type = bytes[position]
            position += 1
            guard let nul = bytes[position..<end].firstIndex(of: 0) else { return object }
            let key = String(decoding: UnsafeBufferPointer(rebasing: bytes[position..<nul]), as: UTF8.self)
            position = nul + 1
            guard let value = readValue(type, bytes, &position, end: end) else { return object }
            object.appendUnchecked(key, value)
        }
        position = end + 1
        return object
    }

    static func readValue(_ type: UInt8, _ bytes: UnsafeBufferPointer<UInt8>, _ position: inout Int, end: Int) -> JSONValue? {
        switch type {
        case 0x01:
            return readUInt64(bytes, &position, end: end).map { .double(Double(bitPattern: $0)) }
        case 0x02:
            guard let length = readInt32(bytes, &position), length >= 1, position + Int(length) <= end else { return nil }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[position..<position + Int(length) - 1]), as: UTF8.self)
            position += Int(length)
            return .string(text)
        case 0x03:
            return readDocument(bytes, &position).map { .object($0) }
        case 0x04:
            return readDocument(bytes, &position).map { .array($0.map(\.1)) }
        case 0x08:
            guard position < end else { return nil }
            position += 1
            return .bool(bytes[position - 1] != 0)
        case 0x09:
            return readUInt64(bytes, &position, end: end).map {
                .date(Date(timeIntervalSince1970: Double(Int64(bitPattern: $0)) / 1000))
            }
        case 0x0A:
            return .null
        case 0x10:
            return readInt32(bytes, &position).map { .int(Int64($0)) }
        case 0x12:
            return readUInt64(bytes, &position, end: end).map { .int(Int64(bitPattern: $0)) }
        default:
            return nil
        }
    }

    static func readInt32(_ bytes: UnsafeBufferPointer<UInt8>, _ position: inout Int) -> Int32? {
        guard position + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for offset in 0..<4 { value |= UInt32(bytes[position + offset]) << (8 * offset) }
        position += 4
        return Int32(bitPattern: value)
    }

    static func readUInt64(_ bytes: UnsafeBufferPointer<UInt8>, _ position: inout Int, end: Int) -> UInt64? {
        guard position + 8 <= end else { return nil }
        var value: UInt64 = 0
        for offset in 0..<8 { value |= UInt64(bytes[position + offset]) << (8 * offset) }
        position += 8
        return value
    }
}
