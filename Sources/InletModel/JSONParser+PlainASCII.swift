extension JSONParser.Reader {
    /// Steps over string bytes eight at a time while all eight are printable ASCII other than
    /// `"` and `\`: the bytes that need no decision of their own, and most of any event's
    /// strings. Stops at (or before) the first byte that does; the byte loop handles that one.
    @inline(__always)
    mutating func skipPlainASCII() {
        guard let base = bytes.baseAddress else { return }
        while bytes.count - index >= 8 {
            let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
            guard Self.isPlainASCII(word) else { return }
            index += 8
        }
    }

    /// Whether no byte of `word` is `"` or `\`, below 0x20 or above 0x7F. The zero-byte test
    /// `(x - 0x01…) & ~x & 0x80…` finds a byte equal to 0 (after an xor, to the quote or
    /// backslash) or, with 0x20 in place of 0x01, one below 0x20; a high bit is a non-ASCII byte.
    @inline(__always)
    static func isPlainASCII(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        let quote = word ^ (ones &* UInt64(UInt8(ascii: "\"")))
        let backslash = word ^ (ones &* UInt64(UInt8(ascii: "\\")))
        let special = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((word &- ones &* 0x20) & ~word) | word
        return special & highBits == 0
    }
}
