/// Looks for a name among a BSON document's top-level elements, stepping over each value by its
/// type's size without reading inside it.
enum BSONTopLevelKeys {
    /// `nil` when the bytes hold an element type this does not know how to step over, or are not
    /// a well-formed document: then the caller cannot tell, and must not assume either way.
    static func contains(_ name: StaticString, in bytes: [UInt8]) -> Bool? {
        bytes.withUnsafeBufferPointer { document -> Bool? in
            guard document.count >= 5 else { return nil }
            let wanted = UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
            let end = document.count - 1
            var position = 4
            while position < end {
                let type = document[position]
                position += 1
                let keyStart = position
                while position < end, document[position] != 0 { position += 1 }
                guard position < end else { return nil }
                let key = UnsafeBufferPointer(rebasing: document[keyStart..<position])
                if key.elementsEqual(wanted) { return true }
                position += 1
                guard let size = valueSize(type, document, at: position, end: end), size <= end - position else { return nil }
                position += size
            }
            return position == end ? false : nil
        }
    }

    /// The size of a value of `type` starting at `position`, or `nil` for an unknown type or a
    /// length that cannot be right.
    private static func valueSize(_ type: UInt8, _ document: UnsafeBufferPointer<UInt8>, at position: Int, end: Int) -> Int? {
        func int32() -> Int? {
            guard end - position >= 4 else { return nil }
            let value = UInt32(document[position]) | UInt32(document[position + 1]) << 8
                | UInt32(document[position + 2]) << 16 | UInt32(document[position + 3]) << 24
            return Int(Int32(bitPattern: value))
        }
        switch type {
        case 0x01, 0x09, 0x11, 0x12: return 8          // double, date, timestamp, int64
        case 0x10: return 4                            // int32
        case 0x08: return 1                            // bool
        case 0x06, 0x0A, 0x7F, 0xFF: return 0          // undefined, null, max key, min key
        case 0x07: return 12                           // ObjectId
        case 0x13: return 16                           // decimal128
        case 0x02, 0x0D, 0x0E:                         // string, JavaScript, symbol
            guard let length = int32(), length >= 1 else { return nil }
            return 4 + length
        case 0x03, 0x04:                               // document, array
            guard let length = int32(), length >= 5 else { return nil }
            return length
        case 0x05:                                     // binary: length, subtype, bytes
            guard let length = int32(), length >= 0 else { return nil }
            return 5 + length
        default:
            return nil
        }
    }
}
