/// One write that a request asks the store to make, as plain values: normalisation produces
/// these without knowing anything of MongoDB's client, and the store executes them in batches.
public struct StoreWrite: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// Insert `document`; a duplicate on the collection's unique index counts as success.
        case insert(document: JSONObject)
        /// `insert`, of a document already encoded (`BSONWriter`): the event path writes BSON
        /// straight from the request's JSON.
        case insertBSON(document: [UInt8])
        /// `insertBSON`, of a document its maker guarantees has no top-level `_id` (the event
        /// path's: the normaliser reserves the name). The store puts in front of it the ObjectId
        /// `_id` that libmongoc would otherwise add by looking for one and copying the document.
        /// The maker must be right: a document holding `_id` after all would be sent with two
        /// (mongod refuses that, SecantusDB stores it); debug builds assert it. A slice: the
        /// event path lends each event's document from the one buffer of its request's.
        case insertBSONWithoutId(document: ArraySlice<UInt8>)
        /// Update the one document matching `filter` with the update operators in `update`
        /// (`$set`, `$setOnInsert`, `$max`, ...), inserting it when none matches.
        case upsert(filter: JSONObject, update: JSONObject)
        /// Insert `document`; when the unique index already holds one, apply `update` to the one
        /// matching `filter` instead (as an upsert). For bulk loads where most documents are new:
        /// an insert costs a fraction of an upsert, and an existing document still gets the update.
        case insertOrUpdate(document: JSONObject, filter: JSONObject, update: JSONObject)
    }

    public var collection: String
    public var kind: Kind

    public init(collection: String, kind: Kind) {
        self.collection = collection
        self.kind = kind
    }

    public static func insert(_ collection: String, _ document: JSONObject) -> StoreWrite {
        StoreWrite(collection: collection, kind: .insert(document: document))
    }

    public static func insert(_ collection: String, bson document: [UInt8]) -> StoreWrite {
        StoreWrite(collection: collection, kind: .insertBSON(document: document))
    }

    public static func insert(_ collection: String, bsonWithoutId document: [UInt8]) -> StoreWrite {
        StoreWrite(collection: collection, kind: .insertBSONWithoutId(document: document[...]))
    }

    public static func insert(_ collection: String, bsonWithoutId document: ArraySlice<UInt8>) -> StoreWrite {
        StoreWrite(collection: collection, kind: .insertBSONWithoutId(document: document))
    }

    public static func upsert(_ collection: String, filter: JSONObject, update: JSONObject) -> StoreWrite {
        StoreWrite(collection: collection, kind: .upsert(filter: filter, update: update))
    }

    public static func insertOrUpdate(_ collection: String, document: JSONObject, filter: JSONObject, update: JSONObject) -> StoreWrite {
        StoreWrite(collection: collection, kind: .insertOrUpdate(document: document, filter: filter, update: update))
    }
}

/// The store's answer for one write. Only `stored` and `duplicate` may be acknowledged to a client.
public enum StoreOutcome: Sendable, Hashable {
    case stored
    /// The unique index already holds this document: stored by an earlier attempt.
    case duplicate
    case failed(reason: String)

    public var isDurable: Bool {
        switch self {
        case .stored, .duplicate: return true
        case .failed: return false
        }
    }
}

/// The names of the collections of CONTRACT.md, in one place.
public enum Collections {
    public static let events = "events"
    public static let userDetails = "userDetails"
    public static let userAttributes = "userAttributes"
    public static let deliveryEvents = "deliveryEvents"
    public static let imports = "imports"
    public static let triggers = "triggers"
    public static let apiKeys = "apiKeys"
}
