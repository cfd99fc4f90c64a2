import CMongoc
import InletModel
import NIOCore
import NIOPosix

/// The slow paths: single reads and updates for imports, key admin, the forwarder and `/readyz`.
/// Each runs on the store's thread pool and throws `MongoStoreError`.
extension MongoStore {
    /// Runs blocking libmongoc work on the store's thread pool.
    func run<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        do {
            return try await threadPool.runIfActive(body)
        } catch is NIOThreadPoolError.ThreadPoolInactive {
            throw MongoStoreError(code: .shutDown, message: "the store has been shut down")
        }
    }

    /// Answers when a server answers the `ping` command; fails within the server-selection
    /// timeout when none does. `/readyz` uses it.
    public func ping() async throws {
        try await run { try self.pingNow() }
    }

    func pingNow() throws {
        try pool.withClient { client in
            let command = BSONDocument(["ping": 1])
            var error = bson_error_t()
            let ok = BSONDocument.withReply { reply in
                mongoc_client_command_simple(client, "admin", command.pointer, nil, reply, &error)
            }
            if !ok { throw MongoStoreError(error) }
        }
    }

    /// The first document matching `filter`, if any.
    public func findOne(_ collection: String, filter: JSONObject) async throws -> JSONObject? {
        try await run { try self.findNow(collection, filter: filter, sort: nil, limit: 1).first }
    }

    /// `findOne` for the hot path: completes on `eventLoop` without a task hop.
    public func findOne(_ collection: String, filter: JSONObject, on eventLoop: EventLoop) -> EventLoopFuture<JSONObject?> {
        threadPool.runIfActive(eventLoop: eventLoop) {
            try self.findNow(collection, filter: filter, sort: nil, limit: 1).first
        }
    }

    /// Documents matching `filter`, in `sort` order, at most `limit` (0: no limit).
    public func find(_ collection: String, filter: JSONObject, sort: JSONObject? = nil, limit: Int = 0) async throws -> [JSONObject] {
        try await run { try self.findNow(collection, filter: filter, sort: sort, limit: limit) }
    }

    func findNow(_ collection: String, filter: JSONObject, sort: JSONObject?, limit: Int) throws -> [JSONObject] {
        try pool.withCollection(collection) { handle in
            var options = JSONObject()
            if let sort { options["sort"] = .object(sort) }
            if limit > 0 { options["limit"] = .int(Int64(limit)) }
            let filter = BSONDocument(filter)
            let optionsDocument = BSONDocument(options)
            guard let cursor = mongoc_collection_find_with_opts(handle, filter.pointer, optionsDocument.pointer, nil) else {
                throw MongoStoreError(code: .server, message: "cannot open a cursor on \(collection)")
            }
            defer { mongoc_cursor_destroy(cursor) }
            var documents: [JSONObject] = []
            var document: OpaquePointer?
            while mongoc_cursor_next(cursor, &document) {
                if let document { documents.append(BSONDocument.read(document)) }
            }
            var error = bson_error_t()
            if mongoc_cursor_error(cursor, &error) { throw MongoStoreError(error) }
            return documents
        }
    }

    /// Inserts one document outside the group commit: `.duplicate` when the unique index
    /// already holds it; any other error is thrown.
    public func insertOne(_ collection: String, _ document: JSONObject) async throws -> StoreOutcome {
        try await run {
            try self.pool.withCollection(collection) { handle in
                let document = BSONDocument(document)
                var error = bson_error_t()
                let ok = BSONDocument.withReply { reply in
                    mongoc_collection_insert_one(handle, document.pointer, nil, reply, &error)
                }
                if ok { return .stored }
                let failure = MongoStoreError(error)
                if failure.serverCode == 11000 { return .duplicate }
                throw failure
            }
        }
    }

    /// Updates the first document matching `filter`; `upsert` inserts one when none matches.
    public func updateOne(
        _ collection: String, filter: JSONObject, update: JSONObject, upsert: Bool = false
    ) async throws -> (matched: Int, modified: Int) {
        let counts = try await run {
            try self.pool.withCollection(collection) { handle in
                let filter = BSONDocument(filter)
                let update = BSONDocument(update)
                let options = BSONDocument(["upsert": .bool(upsert)])
                var error = bson_error_t()
                let (ok, reply) = BSONDocument.withReply { reply in
                    let ok = mongoc_collection_update_one(handle, filter.pointer, update.pointer, options.pointer, reply, &error)
                    return (ok, BSONDocument.read(reply))
                }
                if !ok { throw MongoStoreError(error) }
                let matched = Int(reply["matchedCount"]?.numberValue ?? 0)
                let modified = Int(reply["modifiedCount"]?.numberValue ?? 0)
                return [matched, modified]
            }
        }
        return (counts[0], counts[1])
    }

    /// Atomically updates the first document matching `filter` (in `sort` order) and returns it,
    /// as it is after the update when `returnNew`, else as it was. The forwarder claims leases
    /// with it, so two instances never take the same trigger.
    public func findOneAndUpdate(
        _ collection: String, filter: JSONObject, update: JSONObject, sort: JSONObject? = nil, returnNew: Bool = true
    ) async throws -> JSONObject? {
        try await run {
            try self.pool.withCollection(collection) { handle in
                let filter = BSONDocument(filter)
                let update = BSONDocument(update)
                let sortDocument = sort.map { BSONDocument($0) }
                let options = mongoc_find_and_modify_opts_new()!
                defer { mongoc_find_and_modify_opts_destroy(options) }
                _ = mongoc_find_and_modify_opts_set_update(options, update.pointer)
                if let sortDocument { _ = mongoc_find_and_modify_opts_set_sort(options, sortDocument.pointer) }
                if returnNew { _ = mongoc_find_and_modify_opts_set_flags(options, MONGOC_FIND_AND_MODIFY_RETURN_NEW) }
                var error = bson_error_t()
                let (ok, reply) = BSONDocument.withReply { reply in
                    let ok = mongoc_collection_find_and_modify_with_opts(handle, filter.pointer, options, reply, &error)
                    return (ok, BSONDocument.read(reply))
                }
                if !ok { throw MongoStoreError(error) }
                return reply["value"]?.objectValue
            }
        }
    }

    /// The number of documents matching `filter`.
    public func count(_ collection: String, filter: JSONObject = [:]) async throws -> Int {
        try await run {
            try self.pool.withCollection(collection) { handle in
                let filter = BSONDocument(filter)
                var error = bson_error_t()
                let count = BSONDocument.withReply { reply in
                    mongoc_collection_count_documents(handle, filter.pointer, nil, nil, reply, &error)
                }
                if count < 0 { throw MongoStoreError(error) }
                return Int(count)
            }
        }
    }
}

extension MongoStore {
    /// Runs a database command (on `database`, default the store's) and returns its reply.
    /// For admin tools and tests (`configureFailPoint`, `dropDatabase`); a reply with `ok: 0` throws.
    public func runCommand(_ command: JSONObject, database: String? = nil) async throws -> JSONObject {
        try await run {
            try self.pool.withClient { client in
                let command = BSONDocument(command)
                var error = bson_error_t()
                let (ok, reply) = BSONDocument.withReply { reply in
                    let ok = mongoc_client_command_simple(client, database ?? self.databaseName, command.pointer, nil, reply, &error)
                    return (ok, BSONDocument.read(reply))
                }
                if !ok { throw MongoStoreError(error) }
                return reply
            }
        }
    }
}
