import Foundation

/// The header names and values a connection's recent requests carried, as strings, so that a
/// field repeated on the next request reuses its string instead of allocating one. A client sends
/// much the same header block each time (its `authorization`, `content-type`, `user-agent`), and
/// HPACK exists because of it; each such field of 16 bytes or more (shorter ones are stored inside
/// the string) was an allocation per request, made on the loop and freed once the request was
/// answered. Per connection and used on its event loop only, so one client's fields are never
/// handed to another.
struct RecentFieldStrings {
    /// Longer fields are made afresh each time: a connection keeps at most `capacity` strings of
    /// at most this many bytes.
    static let maxLength = 256
    static let capacity = 16

    private var strings: [String] = []
    /// Where the next new string goes once `strings` is full: the oldest is replaced.
    private var next = 0

    /// `bytes` as a string (invalid UTF-8 repaired, as `String(decoding:as:)` does).
    mutating func string(_ bytes: UnsafeRawBufferPointer) -> String {
        // Up to 15 UTF-8 bytes, a string holds its bytes itself: nothing to save.
        guard bytes.count > 15, bytes.count <= Self.maxLength else { return String(decoding: bytes, as: UTF8.self) }
        for index in strings.indices where Self.matches(&strings[index], bytes) {
            return strings[index]
        }
        let made = String(decoding: bytes, as: UTF8.self)
        if strings.count < Self.capacity {
            strings.append(made)
        } else {
            strings[next] = made
            next = (next + 1) % Self.capacity
        }
        return made
    }

    /// Whether `string`'s UTF-8 is exactly `bytes` (a repaired string never matches its bytes,
    /// so it is made afresh each time, which is correct).
    private static func matches(_ string: inout String, _ bytes: UnsafeRawBufferPointer) -> Bool {
        guard string.utf8.count == bytes.count else { return false }
        // `memcmp`, not `elementsEqual`: a byte iterator showed in track's profile (~0.8 %).
        return string.withUTF8 { memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }
    }
}
