/// Segment's published limits (CONTRACT.md "SDK events"); the request-size limit is the
/// server's, since it applies before parsing.
public struct EventLimits: Sendable, Hashable {
    /// An event larger than this, measured as compact JSON, is rejected on its own (`too_large`).
    public var maxEventBytes: Int
    /// A batch with more events than this is refused whole with `413`.
    public var maxBatchEvents: Int
    /// Longer `messageId`s are rejected: they key the unique index, so they must stay small.
    public var maxMessageIdBytes: Int

    public init(maxEventBytes: Int = 32 * 1024, maxBatchEvents: Int = 2_500, maxMessageIdBytes: Int = 256) {
        self.maxEventBytes = maxEventBytes
        self.maxBatchEvents = maxBatchEvents
        self.maxMessageIdBytes = maxMessageIdBytes
    }
}
