import CMongoc
import InletModel

extension MongoStore {
    /// Second step of `insertOrUpdate` writes: those whose insert met an existing document
    /// (`.duplicate`) get their upsert now, in one more bulk on the same collection, ordered so
    /// that two rows for one user merge in the order they were sent (MongoDB may reorder an
    /// unordered bulk), and take its result. An upsert left unknown leaves the whole write
    /// unknown, so the retry inserts again, meets the document, and updates it.
    static func updateExisting(_ writes: some BulkWriteList, results: inout [WriteResult], in collection: OpaquePointer) {
        var positions: [Int] = []
        var updates: [EncodedWrite] = []
        // The result first: a write is read (in place) only when its insert met a document.
        for index in results.indices where results[index] == .done(.duplicate) {
            guard let update = writes[index].updateOnDuplicate else { continue }
            positions.append(index)
            updates.append(update)
        }
        guard !updates.isEmpty else { return }
        let (updateResults, _) = executeBulk(updates, in: collection, ordered: true)
        for (position, result) in zip(positions, updateResults) {
            results[position] = result
        }
    }
}
