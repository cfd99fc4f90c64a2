import NIOCore

extension RedisClient {
    public struct Configuration: Sendable {
        /// Connections kept to Redis from each event loop; commands on a loop pipeline over them.
        public var connectionsPerEventLoop: Int = 1
        /// How long a command may wait for its reply before its future fails with `commandTimeout`.
        public var commandTimeout: TimeAmount = .milliseconds(500)
        public var connectTimeout: TimeAmount = .seconds(1)
        /// Reconnect delays double from the minimum up to the maximum while Redis stays away.
        public var reconnectBackoffMinimum: TimeAmount = .milliseconds(50)
        public var reconnectBackoffMaximum: TimeAmount = .seconds(2)
        /// A reply larger than this drops the connection instead of growing memory.
        public var maximumReplyBytes: Int = 64 * 1024 * 1024
        /// Commands sent in one event-loop tick leave together, but at most this many per write, so
        /// Redis can start on the first ones while the client is still issuing the rest.
        public var maximumCommandsPerFlush: Int = 16

        public init() {}
    }
}
