import Synchronization

/// Ids as 32 hex characters.
enum RequestID {
    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)
    /// Random per process, so ids of different instances do not collide.
    private static let processPrefix = UInt64.random(in: .min ... .max)
    private static let counter = Atomic<UInt64>(0)

    /// A request id: this process's random prefix and a counter. Unique, cheap (no system call,
    /// unlike `make()`), and not secret — request ids are for correlating logs.
    static func next() -> String {
        format(processPrefix, counter.wrappingAdd(1, ordering: .relaxed).oldValue)
    }

    /// 16 random bytes, for ids that must not be guessable (import jobs).
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return format(generator.next(), generator.next())
    }

    private static func format(_ high: UInt64, _ low: UInt64) -> String {
        String(unsafeUninitializedCapacity: 32) { buffer in
            for nibble in 0..<16 {
                buffer[nibble] = hex[Int((high >> UInt64(60 - nibble * 4)) & 0xF)]
                buffer[16 + nibble] = hex[Int((low >> UInt64(60 - nibble * 4)) & 0xF)]
            }
            return 32
        }
    }
}
