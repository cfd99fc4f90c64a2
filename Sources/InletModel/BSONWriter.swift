import Foundation

/// Writes BSON (bsonspec.org) into a byte array: the documents inlet stores, built without a
/// libbson call per field, from a `JSONObject` or straight from a `JSONTape`.
///
/// Field names are C strings in BSON, so a name is written up to its first NUL; normalisation
/// refuses such names before they get here (`firstUnstorableFieldName`).
///
/// The array is sized ahead and written through a pointer, one element at a time, rather than
/// grown by `append` byte by byte: each append checked the array's uniqueness and capacity, and
/// on the event path those checks cost more than the copying. The bytes past `count` are room
/// not yet written; the outermost `endDocument` cuts the array to the document.
public struct BSONWriter: Sendable {
    private var storage: [UInt8]
    /// How many bytes of `storage` are written.
    public private(set) var count = 0

    /// The room is not zeroed first: only bytes below `count` are ever read, and each of those
    /// is written before `count` passes it.
    public init(capacity: Int = 256) {
        let capacity = max(capacity, 16)
        storage = [UInt8](unsafeUninitializedCapacity: capacity) { _, initialized in initialized = capacity }
    }

    /// The bytes written so far; the whole document, without a copy, once the outermost one ended.
    public var bytes: [UInt8] {
        storage.count == count ? storage : Array(storage[..<count])
    }

    enum ElementType: UInt8 {
        case double = 0x01, string = 0x02, document = 0x03, array = 0x04, bool = 0x08, dateTime = 0x09,
             null = 0x0A, int64 = 0x12
    }

    // MARK: Raw writing

    /// Runs `body` with a pointer to room for `size` more bytes; `body` returns how many it wrote.
    @inline(__always)
    mutating func write(reserving size: Int, _ body: (UnsafeMutableRawPointer) -> Int) {
        if count + size > storage.count { grow(toAtLeast: count + size) }
        let at = count
        let written = storage.withUnsafeMutableBytes { body($0.baseAddress! + at) }
        precondition(written <= size, "BSONWriter: wrote past the room reserved")
        count = at + written
    }

    private mutating func grow(toAtLeast needed: Int) {
        storage.append(contentsOf: repeatElement(0, count: max(needed, storage.count * 2) - storage.count))
    }

    /// The type byte and the NUL-terminated name of an element, at `pointer`; returns its size.
    @inline(__always)
    static func putKey(_ type: ElementType, _ key: UnsafeBufferPointer<UInt8>, at pointer: UnsafeMutableRawPointer) -> Int {
        pointer.storeBytes(of: type.rawValue, as: UInt8.self)
        let length = nameLength(key)
        if length > 0 { copy(from: UnsafeRawPointer(key.baseAddress!), to: pointer + 1, count: length) }
        (pointer + 1 + length).storeBytes(of: 0, as: UInt8.self)
        return length + 2
    }

    /// Copies `count` bytes; up to 16 in line, as two overlapping loads and stores. Most names and
    /// values of an event are that short, and a call to `memmove` per field showed in profiles.
    @inline(__always)
    static func copy(from source: UnsafeRawPointer, to destination: UnsafeMutableRawPointer, count: Int) {
        switch count {
        case 8...16:
            let head = source.loadUnaligned(as: UInt64.self)
            let tail = source.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
            destination.storeBytes(of: head, as: UInt64.self)
            destination.storeBytes(of: tail, toByteOffset: count - 8, as: UInt64.self)
        case 4..<8:
            let head = source.loadUnaligned(as: UInt32.self)
            let tail = source.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)
            destination.storeBytes(of: head, as: UInt32.self)
            destination.storeBytes(of: tail, toByteOffset: count - 4, as: UInt32.self)
        case 1..<4:
            for offset in 0..<count {
                destination.storeBytes(of: source.load(fromByteOffset: offset, as: UInt8.self), toByteOffset: offset, as: UInt8.self)
            }
        case 0:
            break
        default:
            destination.copyMemory(from: source, byteCount: count)
        }
    }

    /// A name is written up to its first NUL (see the type's comment).
    @inline(__always)
    static func nameLength(_ key: UnsafeBufferPointer<UInt8>) -> Int {
        // Names are short and almost never hold a NUL: a word (or two overlapping words) at a
        // time says so; only a name that holds one is searched byte by byte. A loop per byte
        // was 3 % of parsing and normalising a batch.
        if let base = key.baseAddress, key.count >= 4, key.count <= 16 {
            let bytes = UnsafeRawPointer(base)
            let count = key.count
            if count >= 8 {
                if !hasZeroByte(bytes.loadUnaligned(as: UInt64.self)),
                   !hasZeroByte(bytes.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)) { return count }
            } else if !hasZeroByte(UInt64(bytes.loadUnaligned(as: UInt32.self)) | 0xFFFF_FFFF_0000_0000),
                      !hasZeroByte(UInt64(bytes.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)) | 0xFFFF_FFFF_0000_0000) {
                return count
            }
        }
        var length = 0
        while length < key.count, key[length] != 0 { length += 1 }
        return length
    }

    /// Whether some byte of `word` is 0 (the classic test: only a zero byte borrows into its own
    /// high bit without having had it set).
    @inline(__always)
    static func hasZeroByte(_ word: UInt64) -> Bool {
        (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080 != 0
    }

    @inline(__always)
    static func putInt32(_ value: Int32, at pointer: UnsafeMutableRawPointer) {
        pointer.storeBytes(of: value.littleEndian, as: Int32.self)
    }

    @inline(__always)
    static func putUInt64(_ value: UInt64, at pointer: UnsafeMutableRawPointer) {
        pointer.storeBytes(of: value.littleEndian, as: UInt64.self)
    }

    /// A BSON string's length prefix, bytes and NUL at `pointer`; returns its size.
    @inline(__always)
    static func putString(_ value: UnsafeBufferPointer<UInt8>, at pointer: UnsafeMutableRawPointer) -> Int {
        putInt32(Int32(truncatingIfNeeded: value.count + 1), at: pointer)
        if let base = value.baseAddress, !value.isEmpty { copy(from: UnsafeRawPointer(base), to: pointer + 4, count: value.count) }
        (pointer + 4 + value.count).storeBytes(of: 0, as: UInt8.self)
        return value.count + 5
    }

    // MARK: Structure

    /// Opens a document (the top level, or the value of an element whose key is written);
    /// returns where its length goes, for `endDocument(_:)`.
    public mutating func beginDocument() -> Int {
        let start = count
        write(reserving: 4) { _ in 4 }
        return start
    }

    /// Opens an embedded document under `key`; close it with `endDocument(_:)`.
    public mutating func beginDocument(_ key: String) -> Int {
        appendKey(.document, key)
        return beginDocument()
    }

    /// Closes the document opened at `start`. Closing the outermost one (at 0) cuts the array to
    /// the bytes written, so `bytes` hands it over without a copy; `keepingRoom` leaves the room
    /// past it for more documents (several written one after another: `finish()` cuts then).
    public mutating func endDocument(_ start: Int, keepingRoom: Bool = false) {
        write(reserving: 1) { pointer in
            pointer.storeBytes(of: 0, as: UInt8.self)
            return 1
        }
        let length = Int32(truncatingIfNeeded: count - start)
        storage.withUnsafeMutableBytes { Self.putInt32(length, at: $0.baseAddress! + start) }
        if start == 0, !keepingRoom { finish() }
    }

    /// Cuts the array to the bytes written, so `bytes` hands them over without a copy.
    public mutating func finish() {
        if storage.count > count { storage.removeLast(storage.count - count) }
    }

    /// Forgets what was written from `position` on (a document abandoned half-way).
    public mutating func truncate(to position: Int) {
        precondition(position >= 0 && position <= count, "BSONWriter: truncating past what was written")
        count = position
    }

    /// Appends `bytes`: whole elements encoded beforehand by another writer (the fields every
    /// document of a request shares).
    public mutating func append(elements bytes: [UInt8]) {
        bytes.withUnsafeBytes { source in
            guard let base = source.baseAddress else { return }
            write(reserving: source.count) { pointer in
                Self.copy(from: base, to: pointer, count: source.count)
                return source.count
            }
        }
    }

    /// Appends a copy of bytes written before, at `range`: an element repeated from an earlier
    /// document of the same buffer.
    public mutating func appendCopy(ofWritten range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "BSONWriter: copying bytes not written")
        if count + range.count > storage.count { grow(toAtLeast: count + range.count) }
        let at = count
        storage.withUnsafeMutableBytes { bytes in
            (bytes.baseAddress! + at).copyMemory(from: bytes.baseAddress! + range.lowerBound, byteCount: range.count)
        }
        count = at + range.count
    }

    mutating func appendKey(_ type: ElementType, _ key: UnsafeBufferPointer<UInt8>) {
        write(reserving: key.count + 2) { Self.putKey(type, key, at: $0) }
    }

    mutating func appendKey(_ type: ElementType, _ key: String) {
        var key = key
        key.withUTF8 { appendKey(type, $0) }
    }

    /// An array element's key: its index in decimal.
    mutating func appendKey(_ type: ElementType, index: Int) {
        write(reserving: 22) { pointer in
            pointer.storeBytes(of: type.rawValue, as: UInt8.self)
            let digits = Self.putDecimal(index, at: pointer + 1)
            (pointer + 1 + digits).storeBytes(of: 0, as: UInt8.self)
            return digits + 2
        }
    }

    /// `value` (not negative) in decimal at `pointer`, as an array element's name; returns how
    /// many digits it wrote (at most 19).
    public static func putDecimal(_ value: Int, at pointer: UnsafeMutableRawPointer) -> Int {
        let digits = decimalDigits(value)
        var rest = value
        for position in stride(from: digits - 1, through: 0, by: -1) {
            pointer.storeBytes(of: UInt8(ascii: "0") + UInt8(rest % 10), toByteOffset: position, as: UInt8.self)
            rest /= 10
        }
        return digits
    }

    /// How many digits `index` (not negative) has in decimal.
    static func decimalDigits(_ index: Int) -> Int {
        var digits = 1
        var rest = index / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        return digits
    }

    mutating func appendUInt64(_ bits: UInt64) {
        write(reserving: 8) { pointer in
            Self.putUInt64(bits, at: pointer)
            return 8
        }
    }

    mutating func appendByte(_ byte: UInt8) {
        write(reserving: 1) { pointer in
            pointer.storeBytes(of: byte, as: UInt8.self)
            return 1
        }
    }

    mutating func appendStringValue(_ value: UnsafeBufferPointer<UInt8>) {
        write(reserving: value.count + 5) { Self.putString(value, at: $0) }
    }

    // MARK: Fields

    /// A string element: name and value in one write.
    mutating func append(key: UnsafeBufferPointer<UInt8>, string value: UnsafeBufferPointer<UInt8>) {
        write(reserving: key.count + value.count + 7) { pointer in
            let keySize = Self.putKey(.string, key, at: pointer)
            return keySize + Self.putString(value, at: pointer + keySize)
        }
    }

    /// Names are `StaticString`s in the event path's appends: their bytes are at hand, where a
    /// `String`'s cost a retain, a release and a copy to the stack per field.
    public mutating func append(_ key: StaticString, string value: String) {
        var value = value
        key.withUTF8Buffer { key in value.withUTF8 { append(key: key, string: $0) } }
    }

    /// A string element whose value is `length` bytes that `fill` writes (an id made on the spot).
    public mutating func append(_ key: StaticString, stringOfLength length: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Void) {
        key.withUTF8Buffer { key in
            write(reserving: key.count + length + 7) { pointer in
                let keySize = Self.putKey(.string, key, at: pointer)
                Self.putInt32(Int32(truncatingIfNeeded: length + 1), at: pointer + keySize)
                fill(UnsafeMutableRawBufferPointer(start: pointer + keySize + 4, count: length))
                (pointer + keySize + 4 + length).storeBytes(of: 0, as: UInt8.self)
                return keySize + length + 5
            }
        }
    }

    public mutating func append(_ key: StaticString, date: Date) {
        let milliseconds = UInt64(bitPattern: Self.milliseconds(date))
        key.withUTF8Buffer { key in
            write(reserving: key.count + 10) { pointer in
                let keySize = Self.putKey(.dateTime, key, at: pointer)
                Self.putUInt64(milliseconds, at: pointer + keySize)
                return keySize + 8
            }
        }
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
            appendByte(bool ? 1 : 0)
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
        // By position: `JSONObject`'s zipped iterator retained and released every key and value.
        for index in object.keys.indices { append(object.keys[index], object.values[index]) }
        endDocument(start)
    }

    /// `object` encoded as one BSON document.
    public static func document(_ object: JSONObject) -> [UInt8] {
        // Sized for the whole document up front: grown from the default 256 bytes, a delivery
        // event's ~600 bytes cost two reallocations and copies.
        var writer = BSONWriter(capacity: encodedSize(object))
        writer.append(object)
        return writer.bytes
    }

    /// The size of `object` encoded (at most: a name is cut at a NUL), without encoding it.
    public static func encodedSize(_ object: JSONObject) -> Int {
        var size = 5
        for index in object.keys.indices {
            size += 2 + object.keys[index].utf8.count + payloadSize(object.values[index])
        }
        return size
    }

    /// The size of the value part of an element holding `value`.
    static func payloadSize(_ value: JSONValue) -> Int {
        switch value {
        case .null: return 0
        case .bool: return 1
        case .int, .double, .date: return 8
        case .string(let string): return 5 + string.utf8.count
        case .object(let object): return encodedSize(object)
        case .array(let elements):
            var size = 5
            for (index, element) in elements.enumerated() {
                // The key: the index in decimal and its NUL, after the type byte.
                size += 2 + decimalDigits(index) + payloadSize(element)
            }
            return size
        }
    }

    /// Milliseconds since the epoch, rounded down, as BSON dates store them.
    public static func milliseconds(_ date: Date) -> Int64 {
        let value = date.timeIntervalSince1970 * 1000
        // Not negative: converting rounds toward zero, which is down, without a call to `floor`.
        if value >= 0, value < 9.2e18 { return Int64(value) }
        let down = value.rounded(.down)
        return Int64(exactly: down) ?? (down < 0 ? Int64.min : Int64.max)
    }
}
