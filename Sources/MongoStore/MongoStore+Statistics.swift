extension MongoStore {
    /// Counters of the group commit since the store started, for tests and diagnostics
    /// (the same facts go to swift-metrics for dashboards).
    public struct Statistics: Sendable, Hashable {
        /// Writes accepted into the queue.
        public var submittedWrites = 0
        /// Batches taken from the queue.
        public var flushes = 0
        /// `mongoc_bulk_operation_execute` calls (one per collection of a batch).
        public var bulkWrites = 0
        /// Writes put back in the queue after an unknown outcome.
        public var retriedWrites = 0
        /// Writes answered `.failed` because their deadline passed unconfirmed.
        public var expiredWrites = 0

        public init() {}
    }
}
