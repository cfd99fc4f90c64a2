import InletModel

/// One accepted event, ready for the store.
public struct NormalizedEvent: Sendable, Hashable {
    /// Position in the request's batch (0 for single-event endpoints), for per-event answers.
    public var index: Int
    public var messageId: String
    /// The `events` document, also what triggers match against and forward.
    public var document: JSONObject
    /// The insert into `events` first, then, for `identify`, the profile upserts.
    public var writes: [StoreWrite]

    public init(index: Int, messageId: String, document: JSONObject, writes: [StoreWrite]) {
        self.index = index
        self.messageId = messageId
        self.document = document
        self.writes = writes
    }
}
