/// The writes of one bulk, read by position. A flush reads them where the batch holds them
/// (`BatchWrites`) rather than copying each into an array of its own first: that copy retained
/// every document an event loop made and released it again, two more atomic operations per
/// write on memory another core last touched.
protocol BulkWriteList {
    var count: Int { get }
    subscript(position: Int) -> EncodedWrite { get }
}

extension Array: BulkWriteList where Element == EncodedWrite {}

/// The writes of a batch at `positions` (all of them, in order, when `nil`), lent in place.
/// Valid only while the batch's buffer is.
struct BatchWrites: BulkWriteList {
    let batch: UnsafeBufferPointer<GroupCommitStateMachine.Pending>
    let positions: [Int]?

    var count: Int { positions?.count ?? batch.count }

    subscript(position: Int) -> EncodedWrite {
        _read { yield batch[positions?[position] ?? position].write }
    }
}
