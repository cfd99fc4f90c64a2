import InletModel

/// A `StoreWrite` encoded to BSON bytes. Encoding happens on the submitter's thread, so the
/// flushers (the store's bottleneck) only hand ready documents to libmongoc, and the batcher
/// knows each write's exact size. A value, not an object: the event path's insert is the
/// normaliser's own buffer, lent to libmongoc in place at flush time (`BorrowedBSON`), so a
/// write costs no allocation of its own.
struct EncodedWrite: Sendable {
    enum Kind: Sendable {
        case insert([UInt8])
        case upsert(filter: [UInt8], update: [UInt8])
        /// An insert whose duplicate-key error is answered by running `update` (an upsert) instead.
        indirect case insertOrUpdate([UInt8], update: EncodedWrite)
    }

    let collection: String
    let kind: Kind
    let byteCount: Int

    init(_ write: StoreWrite) {
        collection = write.collection
        switch write.kind {
        case .insert(let document):
            let encoded = BSONWriter.document(document)
            kind = .insert(encoded)
            byteCount = encoded.count
        case .insertBSON(let bytes):
            kind = .insert(bytes)
            byteCount = bytes.count
        case .upsert(let filter, let update):
            let filter = BSONWriter.document(filter)
            let update = BSONWriter.document(update)
            kind = .upsert(filter: filter, update: update)
            byteCount = filter.count + update.count
        case .insertOrUpdate(let document, let filter, let update):
            let encoded = BSONWriter.document(document)
            let fallback = EncodedWrite(.upsert(write.collection, filter: filter, update: update))
            kind = .insertOrUpdate(encoded, update: fallback)
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
        if case .insertOrUpdate(_, let update) = kind { return update }
        return nil
    }
}
