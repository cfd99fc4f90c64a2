import CMongoc
import InletModel

extension MongoStore {
    /// An index `ensureSchema` creates: unique unless stated, optionally partial.
    struct IndexSpec {
        var collection: String
        var name: String
        var keys: JSONObject
        var unique = true
        var partialFilter: JSONObject?
    }

    /// The indexes of CONTRACT.md ("What lands in MongoDB"). The unique ones are what make
    /// retries safe: a write retried after an unknown outcome comes back 11000, not twice.
    /// `imports` is unique only among documents that carry an `idempotencyKey` string, so
    /// imports sent without one do not clash.
    static let indexes: [IndexSpec] = [
        IndexSpec(collection: Collections.events, name: "tenantId_messageId", keys: ["tenantId": 1, "messageId": 1]),
        IndexSpec(collection: Collections.userDetails, name: "tenantId_userId", keys: ["tenantId": 1, "userId": 1]),
        IndexSpec(collection: Collections.userAttributes, name: "tenantId_name", keys: ["tenantId": 1, "name": 1]),
        IndexSpec(collection: Collections.deliveryEvents, name: "tenantId_dedupKey", keys: ["tenantId": 1, "dedupKey": 1]),
        IndexSpec(
            collection: Collections.imports, name: "tenantId_idempotencyKey", keys: ["tenantId": 1, "idempotencyKey": 1],
            partialFilter: ["idempotencyKey": ["$type": "string"]]
        ),
        IndexSpec(collection: Collections.apiKeys, name: "hash", keys: ["hash": 1]),
        IndexSpec(collection: Collections.triggers, name: "status_nextAttemptAt", keys: ["status": 1, "nextAttemptAt": 1], unique: false),
    ]

    /// Creates the collections' indexes; safe to call at every start. An index that exists under
    /// the same name with other keys or options is reported as `.indexConflict`, naming it,
    /// rather than silently left as it is.
    public func ensureSchema() async throws {
        try await run {
            for index in Self.indexes {
                try self.createIndex(index)
            }
        }
    }

    func createIndex(_ index: IndexSpec) throws {
        var definition: JSONObject = ["key": .object(index.keys), "name": .string(index.name)]
        if index.unique { definition["unique"] = true }
        if let partialFilter = index.partialFilter { definition["partialFilterExpression"] = .object(partialFilter) }
        let command = BSONDocument(["createIndexes": .string(index.collection), "indexes": [.object(definition)]])
        try pool.withClient { client in
            var error = bson_error_t()
            let ok = BSONDocument.withReply { reply in
                mongoc_client_write_command_with_opts(client, pool.databaseName, command.pointer, nil, reply, &error)
            }
            guard !ok else { return }
            let failure = MongoStoreError(error)
            // 85 IndexOptionsConflict, 86 IndexKeySpecsConflict, 68 IndexAlreadyExists.
            if let code = failure.serverCode, [68, 85, 86].contains(code) {
                throw MongoStoreError(
                    code: .indexConflict,
                    message: "index \(index.name) on \(index.collection) exists with other keys or options: \(failure.message)",
                    serverCode: code
                )
            }
            throw failure
        }
    }
}
