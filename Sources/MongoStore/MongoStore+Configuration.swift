import NIOCore

extension MongoStore {
    /// The store's settings, with defaults that suit one inlet instance in front of one replica set.
    public struct Configuration: Sendable {
        /// A batch is flushed once it holds this many writes...
        public var maxBatchCount: Int = 1_000
        /// ...or this many encoded bytes...
        public var maxBatchBytes: Int = 4 << 20
        /// ...or once its oldest write has waited this long. Short, because requests wait on it.
        public var maxBatchDelay: TimeAmount = .milliseconds(2)
        /// How long a write whose fate is unknown (network error, write-concern error) is retried
        /// before it is reported `.failed`. Also how long MongoDB may be unreachable before
        /// `submit` refuses new writes at once.
        public var retryDeadline: TimeAmount = .seconds(5)
        /// Writes waiting for or in a flush beyond this are refused at once ("unavailable"), so memory
        /// stays bounded and clients are told to retry instead of queueing without end.
        public var maxQueuedWrites: Int = 50_000
        /// Bulk writes in flight at once; each holds one thread of the store's pool. One by default:
        /// with group commit a single flusher already writes bulks of up to `maxBatchCount`, and on
        /// SecantusDB a second concurrent bulk made both 2.5x slower (docs/benchmarks.md). A
        /// sharded or high-latency MongoDB may want more (`INLET_MONGO_FLUSHERS`).
        public var flushers: Int = 1
        /// Threads for reads, updates and schema commands, next to the flushers.
        public var readThreads: Int = 2
        /// libmongoc's `serverSelectionTimeoutMS` unless the URL sets it: how fast a dead server is noticed.
        public var serverSelectionTimeout: TimeAmount = .seconds(2)
        /// libmongoc's `connectTimeoutMS` unless the URL sets it.
        public var connectTimeout: TimeAmount = .seconds(2)
        /// libmongoc's `socketTimeoutMS` unless the URL sets it: bounds a write the server never answers.
        public var socketTimeout: TimeAmount = .seconds(5)
        /// The database when the URL names none.
        public var defaultDatabase: String = "inlet"

        public init() {}
    }
}
