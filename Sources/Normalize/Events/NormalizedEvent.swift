import InletModel

/// One accepted event, ready for the store.
public struct NormalizedEvent: Sendable, Hashable {
    /// Position in the request's batch (0 for single-event endpoints), for per-event answers.
    public var index: Int
    public var messageId: String
    /// The `events` document as BSON, written straight from the request's JSON.
    public var bson: [UInt8]
    /// The insert into `events` first, then, for `identify`, the profile upserts.
    public var writes: [StoreWrite]

    public init(index: Int, messageId: String, bson: [UInt8], writes: [StoreWrite]) {
        self.index = index
        self.messageId = messageId
        self.bson = bson
        self.writes = writes
    }

    /// The `events` document read back, for what inspects it (trigger rules and what they
    /// forward, tests). Decoded on each call: the hot path never needs it.
    public var document: JSONObject { BSONReader.object(bson) }
}
