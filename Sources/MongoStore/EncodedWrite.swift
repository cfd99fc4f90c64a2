import InletModel

/// A `StoreWrite` encoded to BSON bytes. Encoding happens on the submitter's thread, so the
/// flushers (the store's bottleneck) only hand ready documents to libmongoc, and the batcher
/// knows each write's exact size. A value, not an object: the event path's insert is the
/// normaliser's own buffer, lent to libmongoc in place at flush time (`BorrowedBSON`), so a
/// write costs no allocation of its own.
struct EncodedWrite: Sendable {
    enum Kind: Sendable {
        /// An insert of `document`. `addsId`: the document has no top-level `_id`, so the store
        /// puts one in front of it when it hands it to libmongoc (`BorrowedBSON.withObjectID`),
        /// as libmongoc would have.
        case insert(addsId: Bool)
        case upsert(filter: [UInt8], update: [UInt8])
        /// An insert of `document` whose duplicate-key error is answered by running `update` (an
        /// upsert) instead.
        indirect case insertOrUpdate(update: EncodedWrite)
    }

    let collection: String
    let kind: Kind
    /// The document an insert puts in (`insert`, `insertOrUpdate`); empty for an upsert. A slice:
    /// an event's document is lent from the buffer of its request's documents. Kept out of
    /// `kind`: the flusher reads it in place, where binding it from the enum's payload retained
    /// and released it for every write.
    let document: ArraySlice<UInt8>
    let byteCount: Int

    init(_ write: StoreWrite) {
        collection = write.collection
        switch write.kind {
        case .insert(let object):
            let encoded = BSONWriter.document(object)
            kind = .insert(addsId: object["_id"] == nil)
            document = encoded[...]
            byteCount = encoded.count
        case .insertBSON(let bytes):
            // Unknown (an element type it cannot step over): libmongoc looks for itself.
            kind = .insert(addsId: BSONTopLevelKeys.contains("_id", in: bytes) == false)
            document = bytes[...]
            byteCount = bytes.count
        case .insertBSONWithoutId(let bytes):
            assert(BSONTopLevelKeys.contains("_id", in: Array(bytes)) == false, "a document declared without _id has one")
            kind = .insert(addsId: true)
            document = bytes
            byteCount = bytes.count
        case .upsert(let filter, let update):
            let filter = BSONWriter.document(filter)
            let update = BSONWriter.document(update)
            kind = .upsert(filter: filter, update: update)
            document = []
            byteCount = filter.count + update.count
        case .insertOrUpdate(let object, let filter, let update):
            let encoded = BSONWriter.document(object)
            let fallback = EncodedWrite(.upsert(write.collection, filter: filter, update: update))
            kind = .insertOrUpdate(update: fallback)
            document = encoded[...]
            byteCount = encoded.count + fallback.byteCount
        }
    }

    /// Goes into the bulk as an insert (counted in `nInserted`), whatever happens after.
    var isInsert: Bool {
        switch kind {
        case .insert, .insertOrUpdate: return true
        case .upsert: return false
        }
    }

    /// The upsert to run when this write's insert found the document already there.
    var updateOnDuplicate: EncodedWrite? {
        if case .insertOrUpdate(let update) = kind { return update }
        return nil
    }
}
