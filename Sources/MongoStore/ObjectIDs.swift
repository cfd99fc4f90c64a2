import Foundation
import Synchronization

/// ObjectIds for the inserts of one bulk, made the way libbson makes them (4-byte big-endian
/// seconds, 5 random bytes per process, a 3-byte big-endian counter from a random start).
///
/// libmongoc gives a document without `_id` one by building a copy of it behind a new `_id`
/// (a scan for the name, a malloc, two copies, and a getpid system call per ObjectId); the store
/// writes the same `_id` in front of the document itself as it lends it (`MongoStore+Flushing`).
struct ObjectIDs {
    /// An ObjectId `_id` element before its 12 bytes: the type and the NUL-terminated name.
    static let idElementHeader: [UInt8] = [0x07, UInt8(ascii: "_"), UInt8(ascii: "i"), UInt8(ascii: "d"), 0]
    /// The whole `_id` element: header and id.
    static let idElementLength = idElementHeader.count + 12

    private static let processUnique: (UInt32, UInt8) = {
        var generator = SystemRandomNumberGenerator()
        return (generator.next(), generator.next())
    }()

    private static let counter = Atomic<UInt32>(UInt32.random(in: 0...0x00FF_FFFF))

    private let seconds: UInt32
    private var next: UInt32

    /// Reserves `count` ids: one atomic step for the whole bulk.
    init(count: Int) {
        seconds = UInt32(truncatingIfNeeded: Int(Date().timeIntervalSince1970))
        next = Self.counter.wrappingAdd(UInt32(truncatingIfNeeded: count), ordering: .relaxed).oldValue
    }

    /// Writes the next id's 12 bytes at `pointer`.
    mutating func write(to pointer: UnsafeMutableRawPointer) {
        let (random, randomLast) = Self.processUnique
        pointer.storeBytes(of: seconds.bigEndian, as: UInt32.self)
        (pointer + 4).storeBytes(of: random, as: UInt32.self)
        (pointer + 8).storeBytes(of: randomLast, as: UInt8.self)
        let count = next & 0x00FF_FFFF
        (pointer + 9).storeBytes(of: UInt8(truncatingIfNeeded: count >> 16), as: UInt8.self)
        (pointer + 10).storeBytes(of: UInt8(truncatingIfNeeded: count >> 8), as: UInt8.self)
        (pointer + 11).storeBytes(of: UInt8(truncatingIfNeeded: count), as: UInt8.self)
        next &+= 1
    }
}
