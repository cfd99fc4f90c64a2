import Foundation
import InletConfig
import InletModel
import Logging
import MongoStore
import NIOCore
import Normalize

/// One CSV upload in progress: parses each chunk as it arrives, maps rows to writes, and submits
/// them to the store in batches. `consume` completes only when fewer than `maxBatchesInFlight`
/// batches are unconfirmed, which is what slows the socket down to MongoDB's pace.
/// Confined to its event loop: every method runs there (hence `@unchecked Sendable`).
final class ImportSession: BodyConsumer, @unchecked Sendable {
    enum Format {
        case csv
        case multipart(MultipartFileStream)
    }

    static let batchSize = 500
    static let maxBatchesInFlight = 2

    private let kind: CSVImportMapper.Kind
    private var format: Format
    private let context: ImportContext
    private let store: MongoStore
    private let metrics: ImportMetrics
    private let eventLoop: any EventLoop
    private let logger: Logger
    /// The tenant's campaign triggers on `events`: an imported event fires them as an SDK one does.
    private let triggerRules: [TriggerRule]
    /// Wakes the forwarder once triggers are in the outbox.
    private let triggersStored: @Sendable () -> Void

    private var parser = CSVParser()
    private var mapper: CSVImportMapper?
    private var records: [CSVRecord] = []
    private var batch: [StoreWrite] = []
    /// The CSV line of each write in `batch`, so store outcomes map back to rows.
    private var batchLines: [Int] = []
    /// The trigger writes of each write in `batch`, stored only once it is.
    private var batchTriggers: [[StoreWrite]] = []
    /// Unconfirmed batches; each removes itself when the store answers.
    private var inFlight: [(id: Int, done: EventLoopFuture<Void>)] = []
    private var nextBatchId = 0
    /// Batches submitted and not yet confirmed (tests check the back-pressure with it).
    var batchesInFlight: Int { inFlight.count }
    /// Attribute catalog entries this import already wrote; each (name, type) goes once per import.
    private var catalogued: Set<String> = []

    private var rowsTotal = 0
    private var rowsImported = 0
    private var rowsRejected = 0
    private var errors: [JSONValue] = []
    private var bytesRead = 0
    private var storageFailed = false
    /// When the job's counters were last saved; the first batch saves at once, so a poller
    /// sees progress early, then at most every half second.
    private var lastProgress = NIODeadline.distantPast
    /// The job document's last save; the next one waits for it.
    private var lastSave: EventLoopFuture<Void>

    init(kind: CSVImportMapper.Kind, format: Format, context: ImportContext, store: MongoStore, metrics: ImportMetrics,
         triggerRules: [TriggerRule], triggersStored: @escaping @Sendable () -> Void, eventLoop: any EventLoop, logger: Logger) {
        self.kind = kind
        self.format = format
        self.context = context
        self.store = store
        self.metrics = metrics
        self.eventLoop = eventLoop
        self.logger = logger
        self.triggerRules = triggerRules
        self.triggersStored = triggersStored
        self.lastSave = eventLoop.makeSucceededVoidFuture()
        metrics.running.increment()
    }

    func consume(_ bytes: ByteBuffer) -> EventLoopFuture<ConsumeResult> {
        bytesRead += bytes.readableBytes
        metrics.bytesRead.increment(by: bytes.readableBytes)
        switch format {
        case .csv:
            bytes.withUnsafeReadableBytes { parser.feed($0, into: &records) }
        case .multipart(var stream):
            var file: [UInt8] = []
            do throws(MultipartFileStream.Failure) {
                try stream.feed(bytes.readableBytesView, into: &file)
            } catch {
                return fail(.badRequest("invalid_multipart", "multipart part headers too large"))
            }
            format = .multipart(stream)
            file.withUnsafeBytes { parser.feed($0, into: &records) }
        }
        if let refusal = takeRecords() { return fail(refusal) }
        return backPressure()
    }

    func finish() -> EventLoopFuture<InletResponse> {
        if case .multipart(let stream) = format, (try? stream.finish()) == nil {
            return fail(.badRequest("invalid_multipart", "the multipart body has no file part")).map { _ in
                .error(.badRequest("invalid_multipart", "the multipart body has no file part"))
            }
        }
        parser.finish(into: &records)
        if let refusal = takeRecords() {
            return fail(refusal).map { _ in .error(refusal) }
        }
        if mapper == nil {
            let refusal = InletError.badRequest("empty_csv", "the file has no header row")
            return fail(refusal).map { _ in .error(refusal) }
        }
        submitBatch()
        return EventLoopFuture.andAllComplete(inFlight.map(\.done), on: eventLoop).flatMap {
            let status = self.storageFailed ? "failed" : "completed"
            return self.saveProgress(status: status).map { document in
                guard !self.storageFailed else { return .error(.storageUnavailable()) }
                return .json(.ok, ImportSummary.render(document))
            }
        }
    }

    func abort(reason: String) {
        logger.info("import aborted", metadata: ["import": "\(context.importId)", "reason": "\(reason)"])
        _ = EventLoopFuture.andAllComplete(inFlight.map(\.done), on: eventLoop).flatMap {
            self.saveProgress(status: "failed", failure: reason)
        }
    }

    // MARK: - Rows

    /// Maps parsed records to writes; a header that can never import stops the upload.
    private func takeRecords() -> InletError? {
        defer { records.removeAll(keepingCapacity: true) }
        for record in records {
            switch record {
            case .row(let row):
                guard let mapper else {
                    do {
                        mapper = try CSVImportMapper(kind: kind, header: row.fields, context: context)
                    } catch {
                        return error
                    }
                    continue
                }
                rowsTotal += 1
                switch mapper.map(row) {
                case .success(let writes):
                    append(writes, line: row.line)
                case .failure(let error):
                    reject(line: error.line, column: error.column, message: error.message)
                }
            case .error(let error):
                guard let mapper else {
                    return .badRequest("invalid_csv_header", "line \(error.line): \(error.message)")
                }
                rowsTotal += 1
                let rowError = mapper.rowError(for: error)
                reject(line: rowError.line, column: rowError.column, message: rowError.message)
            }
        }
        return nil
    }

    private func append(_ writes: [StoreWrite], line: Int) {
        for write in writes {
            if write.collection == Collections.userAttributes, case .upsert(let filter, let update) = write.kind {
                let type = update["$setOnInsert"]?["type"]?.stringValue ?? ""
                let entry = (filter["name"]?.stringValue ?? "") + "\u{0}" + type
                guard catalogued.insert(entry).inserted else { continue }
            }
            batch.append(write)
            batchLines.append(line)
            batchTriggers.append(triggers(for: write))
        }
        if batch.count >= Self.batchSize { submitBatch() }
    }

    /// The outbox writes of an imported event that matches the tenant's rules; their `_id`s come
    /// from the event's `messageId`, stable across retries of the same upload.
    private func triggers(for write: StoreWrite) -> [StoreWrite] {
        guard !triggerRules.isEmpty, write.collection == Collections.events, case .insert(let document) = write.kind,
              let messageId = document["messageId"]?.stringValue
        else { return [] }
        return TriggerOutbox.writes(for: document, documentId: messageId, rules: triggerRules, tenantId: context.tenantId,
                                    sourceId: context.sourceId, now: Date())
    }

    private func reject(line: Int, column: String?, message: String) {
        rowsRejected += 1
        metrics.rowsRejected.increment()
        guard errors.count < ImportSummary.errorLimit else { return }
        errors.append(["line": .int(Int64(line)), "column": column.map(JSONValue.string) ?? .null, "message": .string(message)])
    }

    // MARK: - Storing

    private func submitBatch() {
        guard !batch.isEmpty else { return }
        let writes = batch
        let lines = batchLines
        let triggers = batchTriggers
        batch.removeAll(keepingCapacity: true)
        batchLines.removeAll(keepingCapacity: true)
        batchTriggers.removeAll(keepingCapacity: true)
        let id = nextBatchId
        nextBatchId += 1
        let hasTriggers = triggers.contains { !$0.isEmpty }
        // A failed trigger write fails its event's row, as on the SDK path, so nothing matched
        // is counted imported without its trigger.
        let done = store.submit(writes, then: triggers, on: eventLoop).map { outcomes in
            if hasTriggers { self.triggersStored() }
            self.inFlight.removeAll { $0.id == id }
            self.settle(outcomes, lines: lines)
        }
        inFlight.append((id, done))
    }

    /// A row is imported when every write it made is durable; a write that failed because MongoDB
    /// is unavailable fails the import (it is not the row's fault), any other failure rejects the row.
    private func settle(_ outcomes: [StoreOutcome], lines: [Int]) {
        var failedLines: [Int: String] = [:]
        var seen: Set<Int> = []
        for (outcome, line) in zip(outcomes, lines) {
            seen.insert(line)
            if case .failed(let reason) = outcome {
                if reason.contains("unavailable") { storageFailed = true }
                failedLines[line] = failedLines[line] ?? reason
            }
        }
        for (line, reason) in failedLines.sorted(by: { $0.key < $1.key }) {
            reject(line: line, column: nil, message: "not stored: \(reason)")
        }
        let imported = seen.count - failedLines.count
        rowsImported += imported
        metrics.rowsImported.increment(by: imported)
        if NIODeadline.now() - lastProgress > .milliseconds(500) {
            lastProgress = .now()
            _ = saveProgress(status: "running")
        }
    }

    /// Holds the upload until fewer than `maxBatchesInFlight` batches are unconfirmed. One chunk
    /// can make several batches (a 64 KiB slice of an HTTP/1.1 read holds ~1.3 batches of 100-byte
    /// rows, more of shorter ones), so waiting for just the oldest is not enough: each chunk would
    /// leave the surplus behind, and the store's queue would grow until its writes expired.
    private func backPressure() -> EventLoopFuture<ConsumeResult> {
        if storageFailed { return fail(.storageUnavailable()) }
        guard inFlight.count >= Self.maxBatchesInFlight, let oldest = inFlight.first?.done else {
            return eventLoop.makeSucceededFuture(.more)
        }
        return oldest.flatMap { self.backPressure() }
    }

    /// Stops the upload with an answer; the job is marked failed with what it had done so far.
    private func fail(_ error: InletError) -> EventLoopFuture<ConsumeResult> {
        EventLoopFuture.andAllComplete(inFlight.map(\.done), on: eventLoop).flatMap {
            self.saveProgress(status: "failed", failure: error.message)
        }.map { _ in .respond(.error(error)) }
    }

    /// Writes the job's counters; returns the job document as saved.
    @discardableResult
    private func saveProgress(status: String, failure: String? = nil) -> EventLoopFuture<JSONObject> {
        let now = Date()
        var set: JSONObject = [
            "status": .string(status), "rowsTotal": .int(Int64(rowsTotal)), "rowsImported": .int(Int64(rowsImported)),
            "rowsRejected": .int(Int64(rowsRejected)), "errors": .array(errors), "bytesRead": .int(Int64(bytesRead)),
            "updatedAt": .date(now),
        ]
        if status != "running" {
            set["finishedAt"] = .date(now)
            metrics.running.decrement()
        }
        if let failure { set["failure"] = .string(failure) }
        var document = set
        document["_id"] = .string(context.importId)
        let store = self.store
        let importId = context.importId
        let eventLoop = self.eventLoop
        // Saves run one after another: a progress save still in flight must not land after,
        // and overwrite, the final one.
        let saved = lastSave.flatMap { _ in
            let promise = eventLoop.makePromise(of: JSONObject.self)
            promise.completeWithTask {
                _ = try? await store.updateOne(Collections.imports, filter: ["_id": .string(importId)], update: ["$set": .object(set)], upsert: false)
                return document
            }
            return promise.futureResult
        }
        lastSave = saved.map { _ in }
        return saved
    }
}
