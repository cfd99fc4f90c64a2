import CMongoc
import InletModel
import NIOCore

extension MongoStore {
    /// What one write of a bulk came to.
    enum WriteResult: Equatable {
        case done(StoreOutcome)
        /// Not confirmed either way (no reply, write-concern error, retryable error): retry.
        case unknown
    }

    /// MongoDB codes that mean "not applied, try again" (shutdown, step-down, interrupted, ...).
    static let retryableCodes: Set<Int> = [6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]

    /// One flusher: takes batches from the queue until the store stops. Runs on a pool thread.
    func runFlusher() {
        while true {
            switch queue.nextAction() {
            case .flush(let batch):
                flush(batch)
            case .fail(let writes, let reason):
                answer(writes, outcomes: Array(repeating: .failed(reason: reason), count: writes.count))
            case .probe:
                let reachable = (try? pingNow()) != nil
                queue.probeFinished(reachable: reachable)
            case .wait:
                continue
            case .exit:
                return
            }
        }
    }

    private func flush(_ batch: [GroupCommitStateMachine.Pending]) {
        let started = NIODeadline.now()
        metrics.batchSize.record(batch.count)
        let groups = Self.collectionGroups(batch)
        var unknown: [GroupCommitStateMachine.Pending] = []
        // By position in `batch`; `nil` for the writes that go back to the queue.
        var outcomes = [StoreOutcome?](repeating: nil, count: batch.count)
        var serverAnswered = false
        batch.withUnsafeBufferPointer { writes in
            for group in groups {
                let (results, reached) = executeBulk(
                    BatchWrites(batch: writes, positions: groups.count == 1 ? nil : group.positions), collection: group.collection
                )
                serverAnswered = serverAnswered || reached
                for (position, result) in zip(group.positions, results) {
                    switch result {
                    case .done(let outcome): outcomes[position] = outcome
                    case .unknown: unknown.append(writes[position])
                    }
                }
            }
        }
        metrics.flushDuration.recordNanoseconds((NIODeadline.now() - started).nanoseconds)
        let expired = queue.flushFinished(
            flushed: batch.count, unknown: unknown, bulkWrites: groups.count, serverAnswered: serverAnswered
        )
        metrics.retries.increment(by: unknown.count - expired.count)
        if !unknown.isEmpty {
            logger.debug("store flush left writes unconfirmed", metadata: ["unknown": "\(unknown.count)", "expired": "\(expired.count)"])
        }
        answer(batch, outcomes: outcomes)
        if !expired.isEmpty {
            answer(expired, outcomes: Array(repeating: .failed(reason: "unavailable"), count: expired.count))
        }
        metrics.queueDepth.record(queue.queueDepth)
    }

    /// The positions of `batch` per collection, collections in order of first appearance. A
    /// batch of one collection (the usual case: events) is one group without a lookup per write.
    static func collectionGroups(_ batch: [GroupCommitStateMachine.Pending]) -> [(collection: String, positions: [Int])] {
        guard let first = batch.first?.write.collection else { return [] }
        if batch.allSatisfy({ $0.write.collection == first }) { return [(first, Array(batch.indices))] }
        var groups: [(collection: String, positions: [Int])] = []
        for (position, write) in batch.enumerated() {
            if let group = groups.firstIndex(where: { $0.collection == write.write.collection }) {
                groups[group].positions.append(position)
            } else {
                groups.append((write.write.collection, [position]))
            }
        }
        return groups
    }

    /// Answers the submitters of a flush: `outcomes[i]` for `writes[i]`, skipping `nil`. Those
    /// waiting on an event loop are answered together, in one task per loop: their responses are
    /// then written in one go and share a flush, instead of costing a wake-up and a socket write
    /// each. The task completes the submissions themselves: no closure is made per request. A
    /// request's writes sit side by side in a batch, so each run of one submission's writes is
    /// recorded under one lock rather than one per write.
    func answer(_ writes: [GroupCommitStateMachine.Pending], outcomes: [StoreOutcome?]) {
        // Counted before anyone is answered (so an answered client sees itself counted), and
        // once per flush rather than once per write.
        var (stored, duplicate, failed) = (0, 0, 0)
        for outcome in outcomes {
            switch outcome {
            case .stored: stored += 1
            case .duplicate: duplicate += 1
            case .failed: failed += 1
            case nil: break
            }
        }
        if stored > 0 { metrics.stored.increment(by: stored) }
        if duplicate > 0 { metrics.duplicate.increment(by: duplicate) }
        if failed > 0 { metrics.failed.increment(by: failed) }
        // Usually one or two loops: a list, not a dictionary (whose `default:` closure was
        // allocated for every request).
        var byLoop: [(loop: any EventLoop, submissions: [Submission])] = []
        // Read in place: copying each `Pending` out retained and released its document and submission.
        writes.withUnsafeBufferPointer { writes in
            var runStart = 0
            while runStart < writes.count {
                let submission = writes[runStart].submission
                var runEnd = runStart + 1
                while runEnd < writes.count, writes[runEnd].submission === submission { runEnd += 1 }
                let run = runStart..<runEnd
                runStart = runEnd
                guard submission.record(run, of: writes, outcomes: outcomes) else { continue }
                guard let loop = submission.eventLoop else {
                    submission.complete()
                    continue
                }
                if let known = byLoop.firstIndex(where: { $0.loop === loop }) {
                    byLoop[known].submissions.append(submission)
                } else {
                    byLoop.append((loop, [submission]))
                }
            }
        }
        for (loop, submissions) in byLoop {
            loop.execute { for submission in submissions { submission.complete() } }
        }
    }

    /// One unordered bulk write of `writes` into `collection`. Returns a result per write and
    /// whether the server answered at all.
    func executeBulk(_ writes: some BulkWriteList, collection: String) -> ([WriteResult], Bool) {
        do {
            return try pool.withCollection(collection) { handle in
                // The usual flush (events, deliveries, triggers: inserts only) is one insert command, without
                // the bulk API's cost per document.
                if let done = Self.executeInsertCommand(writes, collection: collection, in: handle) { return done }
                var (results, reached) = Self.executeBulk(writes, in: handle)
                Self.updateExisting(writes, results: &results, in: handle)
                return (results, reached)
            }
        } catch {
            return (Array(repeating: .unknown, count: writes.count), false)
        }
    }

    private static let unorderedOptions = BSONDocument(["ordered": false])
    private static let orderedOptions = BSONDocument(["ordered": true])
    private static let upsertOptions = BSONDocument(["upsert": true])
    /// Inserted documents are built by inlet from parsed JSON: their strings are valid UTF-8 by
    /// construction and their field names were checked upstream (`firstUnstorableFieldName`), so
    /// libmongoc's walk over every document (3-4 % of the batch profile) is skipped.
    private static let insertOptions = BSONDocument(["validate": false])

    /// `ordered`: the server applies the writes one after another and stops at the first error
    /// (the rest come back unknown and are retried); unordered bulks may be reordered.
    static func executeBulk(_ writes: some BulkWriteList, in collection: OpaquePointer, ordered: Bool = false) -> ([WriteResult], Bool) {
        var results: [WriteResult?] = Array(repeating: nil, count: writes.count)
        let options = ordered ? orderedOptions : unorderedOptions
        guard let bulk = mongoc_collection_create_bulk_operation_with_opts(collection, options.pointer) else {
            return (Array(repeating: .unknown, count: writes.count), false)
        }
        defer { mongoc_bulk_operation_destroy(bulk) }
        // Position in the bulk → position in `writes`; a write libmongoc refuses to add (an
        // invalid key) is answered at once and takes no place in the bulk.
        var writeOfOperation: [Int] = []
        writeOfOperation.reserveCapacity(writes.count)
        var ids = ObjectIDs(count: writes.count)
        var scratch: [UInt8] = []
        // Read where the batch holds them (`BulkWriteList`), not copied into an array first.
        for index in 0..<writes.count {
            var error = bson_error_t()
            // The documents are lent in place; each call below copies its document into the bulk.
            let added: Bool?
            switch writes[index].kind {
            case .insert(addsId: true):
                added = BorrowedBSON.withObjectID(writes[index].document, ids: &ids, scratch: &scratch) {
                    mongoc_bulk_operation_insert_with_opts(bulk, $0, insertOptions.pointer, &error)
                }
            case .insert(addsId: false):
                added = BorrowedBSON.with(writes[index].document) {
                    mongoc_bulk_operation_insert_with_opts(bulk, $0, insertOptions.pointer, &error)
                }
            case .insertOrUpdate:
                // CSV rows: names come from a partner's header, so libmongoc still checks them.
                added = BorrowedBSON.with(writes[index].document) { mongoc_bulk_operation_insert_with_opts(bulk, $0, nil, &error) }
            case .upsert(let filter, let update):
                added = BorrowedBSON.with(filter) { filter in
                    BorrowedBSON.with(update) { update in
                        mongoc_bulk_operation_update_one_with_opts(bulk, filter, update, upsertOptions.pointer, &error)
                    }
                } ?? nil
            }
            switch added {
            case true?: writeOfOperation.append(index)
            case false?: results[index] = .done(.failed(reason: MongoStoreError.message(of: error)))
            case nil: results[index] = .done(.failed(reason: "not a BSON document"))
            }
        }
        guard !writeOfOperation.isEmpty else { return (results.map { $0 ?? .unknown }, true) }

        var error = bson_error_t()
        let (succeeded, summary) = BSONDocument.withReply { reply in
            let succeeded = mongoc_bulk_operation_execute(bulk, reply, &error) != 0
            return (succeeded, BulkReply(reply, operations: writeOfOperation.count))
        }
        let reached = record(summary, succeeded: succeeded, error: error, writes: writes, writeOfOperation: writeOfOperation,
                             into: &results)
        return (results.map { $0 ?? .unknown }, reached)
    }

    /// The plain inserts of `writes` as one `insert` command (`InsertCommand`); `nil`, and
    /// nothing sent, when they are not all plain inserts or do not fit one command.
    static func executeInsertCommand(_ writes: some BulkWriteList, collection name: String,
                                     in collection: OpaquePointer) -> ([WriteResult], Bool)? {
        guard let command = InsertCommand(writes, collection: name) else { return nil }
        var results: [WriteResult?] = Array(repeating: nil, count: writes.count)
        for index in command.malformed {
            results[index] = .done(.failed(reason: "not a BSON document"))
        }
        guard !command.writeOfOperation.isEmpty else { return (results.map { $0 ?? .unknown }, true) }
        var error = bson_error_t()
        let sent = BorrowedBSON.with(command.bytes) { document in
            BSONDocument.withReply { reply in
                // Applies the collection's write concern, as the bulk does; not retried by libmongoc.
                let succeeded = mongoc_collection_write_command_with_opts(collection, document, nil, reply, &error)
                return (succeeded, BulkReply(reply, operations: command.writeOfOperation.count, shape: .insertCommand))
            }
        }
        // `InsertCommand` always writes one whole document.
        guard let (succeeded, summary) = sent else { return (results.map { $0 ?? .unknown }, false) }
        let reached = record(summary, succeeded: succeeded, error: error, writes: writes,
                             writeOfOperation: command.writeOfOperation, into: &results)
        return (results.map { $0 ?? .unknown }, reached)
    }

    /// Reads what the server made of the operations sent (`writeOfOperation`: operation → write)
    /// into `results`; returns whether the server answered at all.
    private static func record(_ summary: BulkReply, succeeded: Bool, error: bson_error_t, writes: some BulkWriteList,
                               writeOfOperation: [Int], into results: inout [WriteResult?]) -> Bool {
        let unreachable = !succeeded && MongoStoreError.isUnreachable(error) && summary.confirmedNothing

        var insertCount = 0
        var insertErrors = 0
        var upsertCount = 0
        var upsertErrors = 0
        for (operation, index) in writeOfOperation.enumerated() {
            let isInsert = writes[index].isInsert
            if isInsert { insertCount += 1 } else { upsertCount += 1 }
            if summary.writeError(operation: operation) != nil {
                if isInsert { insertErrors += 1 } else { upsertErrors += 1 }
            }
        }
        // Every operation is accounted for when the counts add up: then an operation without a
        // write error is confirmed. If a command failed part-way, they do not, and nothing
        // without an error of its own can be called stored.
        let insertsConfirmed = !summary.hasWriteConcernError && summary.inserted + insertErrors == insertCount
        let upsertsConfirmed = !summary.hasWriteConcernError && summary.matched + summary.upserted + upsertErrors == upsertCount

        for (operation, index) in writeOfOperation.enumerated() {
            let isInsert = writes[index].isInsert
            if let writeError = summary.writeError(operation: operation) {
                if writeError.code == BulkReply.duplicateKeyCode {
                    // An upsert that lost a race on the unique index is simply retried. A
                    // duplicate under a write-concern error proves the document exists on the
                    // primary, not that it is durable, so it is retried too.
                    results[index] = isInsert && !summary.hasWriteConcernError ? .done(.duplicate) : .unknown
                } else if retryableCodes.contains(writeError.code) {
                    results[index] = .unknown
                } else {
                    results[index] = .done(.failed(reason: writeError.message))
                }
            } else if isInsert ? insertsConfirmed : upsertsConfirmed {
                results[index] = .done(.stored)
            } else {
                results[index] = .unknown
            }
        }
        return !unreachable
    }
}
