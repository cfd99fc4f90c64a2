/// The outcome of normalising one request: the events to store and the ones refused, each
/// with its index in the request. The server answers `400` when `accepted` is empty and
/// `rejected` is not.
public struct SegmentBatch: Sendable, Hashable {
    public var accepted: [NormalizedEvent]
    public var rejected: [EventRejection]
    /// The body's `writeKey`, for clients that do not send Basic auth.
    public var writeKey: String?

    public init(accepted: [NormalizedEvent] = [], rejected: [EventRejection] = [], writeKey: String? = nil) {
        self.accepted = accepted
        self.rejected = rejected
        self.writeKey = writeKey
    }
}
