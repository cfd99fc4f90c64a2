/// Compares the media type of a `Content-Type` value byte by byte: endpoints check it on every
/// request, and trimming and lowercasing copies through Foundation showed in profiles.
public enum MediaType {
    /// Whether `value`'s media type, the part before any `;` without surrounding spaces or tabs,
    /// is `type` (given in lowercase), ignoring ASCII case: `Application/JSON; charset=utf-8`
    /// is `application/json`.
    public static func matches(_ value: String, _ type: String) -> Bool {
        let utf8 = value.utf8
        var end = utf8.firstIndex(of: UInt8(ascii: ";")) ?? utf8.endIndex
        var start = utf8.startIndex
        while start < end, isSpace(utf8[start]) { start = utf8.index(after: start) }
        while end > start, isSpace(utf8[utf8.index(before: end)]) { end = utf8.index(before: end) }
        return utf8[start..<end].elementsEqual(type.utf8) { actual, expected in
            actual == expected || (actual | 0x20 == expected && expected >= UInt8(ascii: "a") && expected <= UInt8(ascii: "z"))
        }
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }
}
