import CMongoc
import Logging
import NIOCore

/// libmongoc needs `mongoc_init()` once per process before any other call. Its own log goes to
/// stderr by default, debug lines included; warnings and worse go to swift-log instead, the rest
/// is dropped (the store reports failures through its outcomes and metrics).
private let mongocInitialized: Bool = {
    mongoc_init()
    mongoc_log_set_handler({ level, domain, message, _ in
        guard level.rawValue <= MONGOC_LOG_LEVEL_WARNING.rawValue, let message else { return }
        let text = String(cString: message)
        let origin = domain.map { String(cString: $0) } ?? "mongoc"
        if level.rawValue <= MONGOC_LOG_LEVEL_CRITICAL.rawValue {
            mongocLogger.error("\(text)", metadata: ["domain": "\(origin)"])
        } else {
            mongocLogger.warning("\(text)", metadata: ["domain": "\(origin)"])
        }
    }, nil)
    return true
}()

private let mongocLogger = Logger(label: "inlet.mongoc")

/// A `mongoc_client_pool_t` and the database it writes to. The pool is thread-safe; each
/// `mongoc_client_t` popped from it is used by one thread at a time and pushed back.
/// Only the store's thread pool calls into it, never an event loop: every call blocks.
final class MongoClientPool: @unchecked Sendable {
    private let pool: OpaquePointer
    let databaseName: String

    init(url: String, configuration: MongoStore.Configuration) throws {
        precondition(mongocInitialized)
        var error = bson_error_t()
        guard let uri = mongoc_uri_new_with_error(url, &error) else {
            throw MongoStoreError(code: .invalidURL, message: "invalid MongoDB URL: \(MongoStoreError.message(of: error))")
        }
        defer { mongoc_uri_destroy(uri) }
        // With w=0 MongoDB answers nothing, so the store could confirm no write: every request
        // would wait out the retry deadline and end in a 503. Refused here, at start-up, instead.
        if let concern = mongoc_uri_get_write_concern(uri), mongoc_write_concern_get_w(concern) == MONGOC_WRITE_CONCERN_W_UNACKNOWLEDGED {
            throw MongoStoreError(code: .invalidURL, message: "the MongoDB URL asks for w=0 (unacknowledged writes): inlet answers "
                + "only for writes MongoDB confirmed, so it needs w=1 or more, or w=majority")
        }
        Self.setDefault(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, configuration.serverSelectionTimeout)
        Self.setDefault(uri, MONGOC_URI_CONNECTTIMEOUTMS, configuration.connectTimeout)
        Self.setDefault(uri, MONGOC_URI_SOCKETTIMEOUTMS, configuration.socketTimeout)
        // A pop that waits longer than a server selection would only hide the real problem.
        Self.setDefault(uri, MONGOC_URI_WAITQUEUETIMEOUTMS, configuration.serverSelectionTimeout)
        // A pooled client rechecks a server it marked unknown (after a "shutting down" or "not
        // primary" error) only at the heartbeat: 10 s by default, longer than the retry deadline.
        // libmongoc's minimum, 500 ms, lets writes resume as soon as the server is back.
        Self.setDefault(uri, MONGOC_URI_HEARTBEATFREQUENCYMS, .milliseconds(500))
        if let database = mongoc_uri_get_database(uri), database.pointee != 0 {
            databaseName = String(cString: database)
        } else {
            databaseName = configuration.defaultDatabase
        }
        guard let pool = mongoc_client_pool_new_with_error(uri, &error) else {
            throw MongoStoreError(code: .invalidURL, message: "cannot create client pool: \(MongoStoreError.message(of: error))")
        }
        mongoc_client_pool_set_error_api(pool, 2)
        self.pool = pool
    }

    deinit {
        mongoc_client_pool_destroy(pool)
    }

    private static func setDefault(_ uri: OpaquePointer, _ option: String, _ value: TimeAmount) {
        guard !mongoc_uri_has_option(uri, option) else { return }
        let milliseconds = Int32(clamping: value.nanoseconds / 1_000_000)
        _ = mongoc_uri_set_option_as_int32(uri, option, milliseconds)
    }

    /// Runs `body` with a client of the pool; blocks while all clients are in use.
    func withClient<Result>(_ body: (OpaquePointer) throws -> Result) throws -> Result {
        guard let client = mongoc_client_pool_pop(pool) else {
            throw MongoStoreError(code: .unavailable, message: "no MongoDB connection became free in time")
        }
        defer { mongoc_client_pool_push(pool, client) }
        return try body(client)
    }

    /// Runs `body` with a collection of the store's database.
    func withCollection<Result>(_ name: String, _ body: (OpaquePointer) throws -> Result) throws -> Result {
        try withClient { client in
            let collection = mongoc_client_get_collection(client, databaseName, name)!
            defer { mongoc_collection_destroy(collection) }
            return try body(collection)
        }
    }
}
