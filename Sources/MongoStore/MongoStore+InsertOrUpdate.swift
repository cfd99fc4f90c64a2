import CMongoc
import InletModel

extension MongoStore {
    /// Second step of `insertOrUpdate` writes: those whose insert met an existing document
    /// (`.duplicate`) get their upsert now, in one more bulk on the same collection, ordered so
    /// that two rows for one user merge in the order they were sent (MongoDB may reorder an
    /// unordered bulk), and take its result. An upsert left unknown leaves the whole write
    /// unknown, so the retry inserts again, meets the document, and updates it.
    static func updateExisting(_ writes: [EncodedWrite], results: inout [WriteResult], in collection: OpaquePointer) {
        var positions: [Int] = []
        var updates: [EncodedWrite] = []
        for (index, write) in writes.enumerated() where results[index] == .done(.duplicate) {
            guard let update = write.updateOnDuplicate else { continue }
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
