extension JSONParser.Reader {
    /// Steps over string bytes eight at a time while all eight are printable ASCII other than
    /// `"` and `\`: the bytes that need no decision of their own, and most of any event's
    /// strings. In the word that holds one that does, steps straight to it, so the byte loop
    /// sees only bytes that need a decision (or the last few of the input). Most strings of an
    /// event are shorter than a word: a key, a type, an id; they cost one load and a bit scan
    /// instead of a test per byte.
    @inline(__always)
    mutating func skipPlainASCII() {
        guard let base = bytes.baseAddress else { return }
        while bytes.count - index >= 8 {
            let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self).littleEndian
            let special = Self.specialBytes(word)
            guard special == 0 else {
                index += special.trailingZeroBitCount >> 3
                return
            }
            index += 8
        }
    }

    /// The high bit of each byte of `word` that is `"` or `\`, below 0x20 or above 0x7F, at
    /// least for the lowest such byte: the zero-byte test `(x - 0x01…) & ~x & 0x80…` finds a
    /// byte equal to 0 (after an xor, to the quote or backslash) or, with 0x20 in place of
    /// 0x01, one below 0x20; a high bit is a non-ASCII byte. A borrow only runs upwards from a
    /// byte that is itself flagged, so the lowest flag (the first byte, little-endian) is exact;
    /// flags above it may not be, and are not used.
    @inline(__always)
    static func specialBytes(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        let quote = word ^ (ones &* UInt64(UInt8(ascii: "\"")))
        let backslash = word ^ (ones &* UInt64(UInt8(ascii: "\\")))
        let special = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((word &- ones &* 0x20) & ~word) | word
        return special & highBits
    }
}
