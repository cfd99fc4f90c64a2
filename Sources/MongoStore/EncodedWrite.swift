import InletModel

/// A `StoreWrite` already encoded to BSON. Encoding happens on the submitter's thread, so the
/// flushers (the store's bottleneck) only hand ready documents to libmongoc, and the batcher
/// knows each write's exact size.
final class EncodedWrite: Sendable {
    enum Kind: Sendable {
        case insert(BSONDocument)
        case upsert(filter: BSONDocument, update: BSONDocument)
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
        case .upsert(let filter, let update):
            let filter = BSONDocument(filter)
            let update = BSONDocument(update)
            kind = .upsert(filter: filter, update: update)
            byteCount = filter.byteCount + update.byteCount
        }
    }

    var isInsert: Bool {
        if case .insert = kind { return true }
        return false
    }
}
