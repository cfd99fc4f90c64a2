import CSysRandom
import Synchronization

/// Random bytes from the kernel, fetched 4 KiB at a time. `SystemRandomNumberGenerator` makes one
/// `getrandom` system call per 8 bytes, which showed in profiles at two calls per generated
/// `messageId`; this keeps the kernel's randomness (ids stay unguessable) at one call per 256 ids.
enum EntropyPool {
    private struct Buffer: ~Copyable {
        var words = [UInt64](repeating: 0, count: 512)
        var next = 512
    }

    private static let pool = Mutex(Buffer())

    /// Two random words.
    static func nextPair() -> (UInt64, UInt64) {
        pool.withLock { buffer in
            if buffer.next + 2 > buffer.words.count {
                refill(&buffer.words)
                buffer.next = 0
            }
            defer { buffer.next += 2 }
            return (buffer.words[buffer.next], buffer.words[buffer.next + 1])
        }
    }

    private static func refill(_ words: inout [UInt64]) {
        words.withUnsafeMutableBytes { bytes in
            var filled = 0
            while filled < bytes.count {
                let got = getrandom(bytes.baseAddress! + filled, bytes.count - filled, 0)
                if got > 0 {
                    filled += got
                } else {
                    // Interrupted or (before boot-time seeding) not ready: fall back to the standard generator.
                    var generator = SystemRandomNumberGenerator()
                    for index in stride(from: filled, to: bytes.count, by: 1) {
                        bytes[index] = UInt8.random(in: .min ... .max, using: &generator)
                    }
                    filled = bytes.count
                }
            }
        }
    }
}
