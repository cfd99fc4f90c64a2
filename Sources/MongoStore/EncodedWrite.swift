import InletModel

/// A `StoreWrite` already encoded to BSON. Encoding happens on the submitter's thread, so the
/// flushers (the store's bottleneck) only hand ready documents to libmongoc, and the batcher
/// knows each write's exact size.
final class EncodedWrite: Sendable {
    enum Kind: Sendable {
        case insert(BSONDocument)
        case upsert(filter: BSONDocument, update: BSONDocument)
        /// An insert whose duplicate-key error is answered by running `update` (an upsert) instead.
        case insertOrUpdate(BSONDocument, update: EncodedWrite)
    }

    let collection: String
    let kind: Kind
    let byteCount: Int

    init(_ write: StoreWrite) {
        collection = write.collection
        switch write.kind {
        case .insert(let document):
            let encoded = BSONDocument(document)
            kind = .insert(encoded)
            byteCount = encoded.byteCount
        case .insertBSON(let bytes):
            kind = .insert(BSONDocument(bytes: bytes))
            byteCount = bytes.count
        case .upsert(let filter, let update):
            let filter = BSONDocument(filter)
            let update = BSONDocument(update)
            kind = .upsert(filter: filter, update: update)
            byteCount = filter.byteCount + update.byteCount
        case .insertOrUpdate(let document, let filter, let update):
            let encoded = BSONDocument(document)
            let fallback = EncodedWrite(.upsert(write.collection, filter: filter, update: update))
            kind = .insertOrUpdate(encoded, update: fallback)
            byteCount = encoded.byteCount + fallback.byteCount
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
        if case .insertOrUpdate(_, let update) = kind { return update }
        return nil
    }
}
