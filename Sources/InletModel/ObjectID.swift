import Foundation
import Synchronization

/// MongoDB ObjectIds (bsonspec.org, "ObjectId"): 4 bytes of seconds since the epoch, 5 bytes
/// random per process, 3 bytes of a counter that starts at a random value.
///
/// inlet gives every document it inserts its `_id` itself. libmongoc adds one to any inserted
/// document that lacks it, and to do so copies the whole document into a new buffer behind the
/// `_id`, and calls `getpid()` for every id (to notice a fork): one system call and one copy per
/// stored event, seen in profiles and with `strace -c`.
public enum ObjectID {
    public static let byteCount = 12

    /// Random per process, so ids of different instances do not collide.
    private static let processUnique: (UInt32, UInt8) = {
        var generator = SystemRandomNumberGenerator()
        let bits: UInt64 = generator.next()
        return (UInt32(truncatingIfNeeded: bits), UInt8(truncatingIfNeeded: bits >> 32))
    }()

    private static let counter = Atomic<UInt32>(UInt32.random(in: 0...0xFF_FFFF))

    /// Writes a new id's 12 bytes at the end of `bytes`.
    public static func append(to bytes: inout [UInt8], now: Date = Date()) {
        let seconds = UInt32(truncatingIfNeeded: Int64(now.timeIntervalSince1970))
        let count = counter.wrappingAdd(1, ordering: .relaxed).oldValue
        let (random, randomLast) = processUnique
        // Big-endian, as ObjectIds sort by their time, then their counter.
        bytes.append(UInt8(truncatingIfNeeded: seconds >> 24))
        bytes.append(UInt8(truncatingIfNeeded: seconds >> 16))
        bytes.append(UInt8(truncatingIfNeeded: seconds >> 8))
        bytes.append(UInt8(truncatingIfNeeded: seconds))
        bytes.append(UInt8(truncatingIfNeeded: random >> 24))
        bytes.append(UInt8(truncatingIfNeeded: random >> 16))
        bytes.append(UInt8(truncatingIfNeeded: random >> 8))
        bytes.append(UInt8(truncatingIfNeeded: random))
        bytes.append(randomLast)
        bytes.append(UInt8(truncatingIfNeeded: count >> 16))
        bytes.append(UInt8(truncatingIfNeeded: count >> 8))
        bytes.append(UInt8(truncatingIfNeeded: count))
    }

    /// A new id as 12 bytes.
    public static func make(now: Date = Date()) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(byteCount)
        append(to: &bytes, now: now)
        return bytes
    }
}
