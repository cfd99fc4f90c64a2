/// A failure of the transport or the protocol, as opposed to an error reply, which is a
/// `RESPValue.error`. A struct over a private code, so codes can be added without breaking callers.
public struct RedisClientError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case invalidURL, notConnected, commandTimeout, connectionClosed, protocolError, replyTooLarge
            case connectFailed, handshakeFailed, clientShutdown
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The URL is not `redis://[[user]:password@]host[:port][/db]`.
        public static let invalidURL = Code(.invalidURL)
        /// No connection is up and the client is backing off: the command was not sent.
        public static let notConnected = Code(.notConnected)
        /// No reply within the command timeout; a late reply is read and discarded.
        public static let commandTimeout = Code(.commandTimeout)
        /// The connection closed before the reply arrived.
        public static let connectionClosed = Code(.connectionClosed)
        /// The byte stream is not RESP (or a reply arrived with no command waiting); the connection is dropped.
        public static let protocolError = Code(.protocolError)
        /// A reply grew past the configured maximum; the connection is dropped.
        public static let replyTooLarge = Code(.replyTooLarge)
        /// TCP connect failed or timed out.
        public static let connectFailed = Code(.connectFailed)
        /// `AUTH` or `SELECT` was refused.
        public static let handshakeFailed = Code(.handshakeFailed)
        /// `shutdown()` was called.
        public static let clientShutdown = Code(.clientShutdown)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String = "") {
        self.code = code
        self.message = message
    }

    public var description: String { message.isEmpty ? "redis: \(code)" : "redis: \(code): \(message)" }
}
