import CMongoc

/// An error of the store's slow paths (reads, schema, key admin). The code says what the caller
/// can do about it; the message is libmongoc's or the server's, which never carries the URL's
/// password (libmongoc names hosts, not credentials).
public struct MongoStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case invalidURL, unavailable, server, indexConflict, shutDown
        }

        private let base: Base

        private init(_ base: Base) { self.base = base }

        /// The MongoDB URL could not be parsed, or asks for what the store cannot work with (`w=0`).
        public static let invalidURL = Code(.invalidURL)
        /// No server answered (selection timeout, connection refused or dropped): retry later.
        public static let unavailable = Code(.unavailable)
        /// The server answered with an error; `serverCode` holds MongoDB's code.
        public static let server = Code(.server)
        /// `ensureSchema` found an index of the same name with other keys or options.
        public static let indexConflict = Code(.indexConflict)
        /// The store has been shut down.
        public static let shutDown = Code(.shutDown)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String
    /// MongoDB's own error code when the server answered, e.g. 11000 for a duplicate key.
    public var serverCode: Int?

    public init(code: Code, message: String, serverCode: Int? = nil) {
        self.code = code
        self.message = message
        self.serverCode = serverCode
    }

    public var description: String {
        if let serverCode { return "MongoStoreError(\(code), \(serverCode)): \(message)" }
        return "MongoStoreError(\(code)): \(message)"
    }

    /// Maps a libmongoc error: no answer from a server is `unavailable`, anything else `server`.
    init(_ error: bson_error_t) {
        let message = MongoStoreError.message(of: error)
        switch error.domain {
        case MONGOC_ERROR_STREAM.rawValue, MONGOC_ERROR_SERVER_SELECTION.rawValue:
            self.init(code: .unavailable, message: message)
        default:
            self.init(code: .server, message: message, serverCode: Int(error.code))
        }
    }

    static func message(of error: bson_error_t) -> String {
        var error = error
        return withUnsafeBytes(of: &error.message) { bytes in
            let characters = bytes.prefix { $0 != 0 }
            return String(decoding: characters, as: UTF8.self)
        }
    }

    /// Whether the error means "no server answered", as opposed to an answer that is an error.
    static func isUnreachable(_ error: bson_error_t) -> Bool {
        error.domain == MONGOC_ERROR_STREAM.rawValue || error.domain == MONGOC_ERROR_SERVER_SELECTION.rawValue
    }
}
