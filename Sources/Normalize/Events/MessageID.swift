/// Generates the `messageId` of events that arrive without one: a random (version 4) UUID in
/// lowercase, as the SDKs write theirs. Built from two random words with no Foundation round trip.
public enum MessageID {
    public static func generate() -> String {
        let (high, low) = EntropyPool.nextPair()
        return format(high, low)
    }

    public static func generate(using generator: inout some RandomNumberGenerator) -> String {
        format(generator.next(), generator.next())
    }

    private static func format(_ first: UInt64, _ second: UInt64) -> String {
        let high = first & 0xFFFF_FFFF_FFFF_0FFF | 0x0000_0000_0000_4000
        let low = second & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000
        return String(unsafeUninitializedCapacity: 36) { buffer in
            var position = 0
            func put(_ word: UInt64, nibbles: Range<Int>) {
                for nibble in nibbles {
                    if position == 8 || position == 13 || position == 18 || position == 23 {
                        buffer[position] = UInt8(ascii: "-")
                        position += 1
                    }
                    let value = UInt8(truncatingIfNeeded: word >> UInt64(60 - nibble * 4)) & 0x0F
                    buffer[position] = value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
                    position += 1
                }
            }
            put(high, nibbles: 0..<16)
            put(low, nibbles: 0..<16)
            return position
        }
    }
}
