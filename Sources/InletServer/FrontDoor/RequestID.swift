/// Request ids: 16 random bytes as 32 hex characters; cheap enough for every request.
enum RequestID {
    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return String(unsafeUninitializedCapacity: 32) { buffer in
            for (offset, word) in [high, low].enumerated() {
                for nibble in 0..<16 {
                    buffer[offset * 16 + nibble] = hex[Int((word >> UInt64(60 - nibble * 4)) & 0xF)]
                }
            }
            return 32
        }
    }
}
