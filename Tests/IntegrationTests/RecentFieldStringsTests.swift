import Testing

@testable import InletServer

/// The per-connection strings of recent header fields: a repeated field reuses its string, and
/// whatever is reused reads exactly as the bytes received.
@Suite("Recent header field strings")
struct RecentFieldStringsTests {
    /// The string `strings` makes of `text`'s bytes.
    private func string(_ strings: inout RecentFieldStrings, _ text: String) -> String {
        Array(text.utf8).withUnsafeBytes { strings.string($0) }
    }

    /// Where a string's UTF-8 lives: the same address means the same storage, not a new allocation.
    private func storage(_ string: String) -> UnsafeRawPointer? {
        string.utf8.withContiguousStorageIfAvailable { UnsafeRawPointer($0.baseAddress) } ?? nil
    }

    @Test("a repeated field reuses its string; a different one of the same length does not")
    func reusesRepeatedFields() {
        var strings = RecentFieldStrings()
        let first = string(&strings, "Basic d2tfMDEyMzQ1Njc4OWFiY2RlZjo=")
        let again = string(&strings, "Basic d2tfMDEyMzQ1Njc4OWFiY2RlZjo=")
        #expect(again == first)
        #expect(storage(again) == storage(first))
        let other = string(&strings, "Basic d2tfMDEyMzQ1Njc4OWFiY2RlZzo=")
        #expect(other == "Basic d2tfMDEyMzQ1Njc4OWFiY2RlZzo=")
        #expect(storage(other) != storage(first))
        #expect(string(&strings, "application/json") == "application/json")
    }

    @Test("short, long and invalid UTF-8 fields read as String(decoding:) reads them")
    func decodesLikeString() {
        var strings = RecentFieldStrings()
        #expect(string(&strings, "gzip") == "gzip")
        let long = String(repeating: "a", count: RecentFieldStrings.maxLength + 1)
        #expect(string(&strings, long) == long)
        let (one, two) = (string(&strings, long), string(&strings, long))
        #expect(storage(one) != storage(two), "over the limit: never kept")
        let invalid: [UInt8] = Array("application/json;".utf8) + [0xFF, 0xFE]
        for _ in 0..<2 {
            let made = invalid.withUnsafeBytes { strings.string($0) }
            #expect(made == String(decoding: invalid, as: UTF8.self))
        }
    }

    @Test("past its capacity the oldest string is replaced, and every field still reads right")
    func replacesTheOldest() {
        var strings = RecentFieldStrings()
        let values = (0..<(RecentFieldStrings.capacity + 4)).map { "user-agent-of-client-\($0)" }
        let kept = values.map { string(&strings, $0) }
        #expect(zip(values, kept).allSatisfy { $0 == $1 })
        // The last one is still kept; the first was replaced.
        #expect(storage(string(&strings, values.last!)) == storage(kept.last!))
        let first = string(&strings, values[0])
        #expect(storage(first) != storage(kept[0]))
    }
}
