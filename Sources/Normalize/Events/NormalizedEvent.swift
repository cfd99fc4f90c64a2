import InletModel

/// One accepted event, ready for the store.
public struct NormalizedEvent: Sendable, Hashable {
    /// Position in the request's batch (0 for single-event endpoints), for per-event answers.
    public var index: Int
    /// The `events` document as BSON, written straight from the request's JSON, in the one
    /// buffer that holds every document of the request (its indices are that buffer's): a
    /// request's documents cost one allocation, not one each, and one free once stored.
    public var bsonBytes: ArraySlice<UInt8>
    /// Where the `messageId`'s bytes are in `bsonBytes` (the buffer's indices): the id is written
    /// there once, not also kept as a `String` per event.
    var messageIdBytes: Range<Int>
    /// For `identify`, the profile upserts that follow the event's insert; empty otherwise.
    public var profileWrites: [StoreWrite]

    init(index: Int, bsonBytes: ArraySlice<UInt8>, messageIdBytes: Range<Int>, profileWrites: [StoreWrite]) {
        self.index = index
        self.bsonBytes = bsonBytes
        self.messageIdBytes = messageIdBytes
        self.profileWrites = profileWrites
    }

    /// The document as an array of its own (a copy), for what wants one.
    public var bson: [UInt8] { Array(bsonBytes) }

    public var messageId: String { String(decoding: bsonBytes[messageIdBytes], as: UTF8.self) }

    /// The insert into `events` first, then the profile upserts. Made on each call: the event
    /// path submits `bsonBytes` and `profileWrites` without this array.
    public var writes: [StoreWrite] { [.insert(Collections.events, bson: bson)] + profileWrites }

    /// The `events` document read back, for what inspects it (trigger rules and what they
    /// forward, tests). Decoded on each call: the hot path never needs it.
    public var document: JSONObject { BSONReader.object(bson) }
}
