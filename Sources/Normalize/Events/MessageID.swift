/// Generates the `messageId` of events that arrive without one: a random (version 4) UUID in
/// lowercase, as the SDKs write theirs. Built from two random words with no Foundation round trip.
public enum MessageID {
    /// Bytes in a generated id.
    public static let length = 36

    public static func generate() -> String {
        let (high, low) = EntropyPool.nextPair()
        return format(high, low)
    }

    public static func generate(using generator: inout some RandomNumberGenerator) -> String {
        format(generator.next(), generator.next())
    }

    /// Writes a new id into `buffer` (`length` bytes): the normaliser puts it straight into the
    /// event's document instead of making a `String` first.
    static func write(into buffer: UnsafeMutableRawBufferPointer) {
        let (high, low) = EntropyPool.nextPair()
        write(high, low, into: buffer)
    }

    private static func format(_ first: UInt64, _ second: UInt64) -> String {
        String(unsafeUninitializedCapacity: length) { buffer in
            write(first, second, into: UnsafeMutableRawBufferPointer(buffer))
            return length
        }
    }

    /// `8-4-4-4-12` hex digits; the version nibble is 4, the variant bits `10`.
    private static func write(_ first: UInt64, _ second: UInt64, into buffer: UnsafeMutableRawBufferPointer) {
        precondition(buffer.count >= length)
        let high = first & 0xFFFF_FFFF_FFFF_0FFF | 0x0000_0000_0000_4000
        let low = second & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000
        let digits: StaticString = "0123456789abcdef"
        func put(_ word: UInt64, nibbles: Range<Int>, at offset: Int) {
            for nibble in nibbles {
                let value = Int(truncatingIfNeeded: word >> UInt64(60 - nibble * 4) & 0x0F)
                buffer[offset + nibble - nibbles.lowerBound] = digits.utf8Start[value]
            }
        }
        put(high, nibbles: 0..<8, at: 0)
        buffer[8] = UInt8(ascii: "-")
        put(high, nibbles: 8..<12, at: 9)
        buffer[13] = UInt8(ascii: "-")
        put(high, nibbles: 12..<16, at: 14)
        buffer[18] = UInt8(ascii: "-")
        put(low, nibbles: 0..<4, at: 19)
        buffer[23] = UInt8(ascii: "-")
        put(low, nibbles: 4..<16, at: 24)
    }
}
