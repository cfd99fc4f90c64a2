import Foundation
import InletConfig
import InletModel
import Logging
import MongoStore
import NIOCore
import NIOHTTP1
import Normalize

/// `POST /v1/imports/{users,events}`: a partner's CSV, streamed into MongoDB with row-level
/// errors. Authenticates the partner key and handles `Idempotency-Key` before reading any of the
/// body, then hands the body to an `ImportSession`.
final class ImportsEndpoint: StreamingEndpoint {
    private let routes: RouteTable
    private let region: Region
    private let keys: APIKeyCache
    private let store: MongoStore
    private let metrics: ImportMetrics
    private let logger: Logger
    private let triggersStored: @Sendable () -> Void

    init(routes: RouteTable, region: Region, keys: APIKeyCache, store: MongoStore, triggersStored: @escaping @Sendable () -> Void,
         logger: Logger) {
        self.triggersStored = triggersStored
        self.routes = routes
        self.region = region
        self.keys = keys
        self.store = store
        self.metrics = ImportMetrics()
        self.logger = logger
    }

    func begin(_ head: InletRequestHead, on eventLoop: any EventLoop) -> EventLoopFuture<StreamingStart> {
        let kindName = head.path.split(separator: "/").last.map(String.init) ?? ""
        guard let kind = CSVImportMapper.Kind(rawValue: kindName) else {
            return eventLoop.makeSucceededFuture(.respond(.error(.notFound())))
        }
        let format: ImportSession.Format
        switch Self.mediaType(head.headers) {
        case "text/csv", "application/csv", "text/plain":
            format = .csv
        case "multipart/form-data":
            guard let stream = try? MultipartFileStream(contentType: head.headers.first(name: "content-type") ?? "") else {
                return eventLoop.makeSucceededFuture(.respond(.error(.badRequest("invalid_multipart", "multipart body without a boundary"))))
            }
            format = .multipart(stream)
        default:
            return eventLoop.makeSucceededFuture(.respond(.error(.unsupportedMediaType("send text/csv or multipart/form-data"))))
        }
        guard let key = Self.bearer(head.headers) else {
            return eventLoop.makeSucceededFuture(.respond(.error(.unauthorized("missing partner key"))))
        }
        let idempotencyKey = head.headers.first(name: "idempotency-key").flatMap { $0.isEmpty || $0.utf8.count > 255 ? nil : $0 }
        return keys.lookup(key, on: eventLoop).flatMap { record -> EventLoopFuture<StreamingStart> in
            guard let record, !record.isRevoked, let source = self.routes.source(id: record.sourceId), source.kind == .imports else {
                return eventLoop.makeSucceededFuture(.respond(.error(.unauthorized("unknown partner key"))))
            }
            guard source.region == self.region else {
                return eventLoop.makeSucceededFuture(.respond(EndpointSupport.wrongRegion(tenant: source.tenantId, region: source.region)))
            }
            let promise = eventLoop.makePromise(of: StreamingStart.self)
            promise.completeWithTask {
                try await self.open(kind: kind, format: format, source: source, idempotencyKey: idempotencyKey, eventLoop: eventLoop)
            }
            return promise.futureResult
        }.recover { _ in .respond(.error(.storageUnavailable())) }
    }

    /// A job not saved for this long while `running` is taken for one whose instance died: a live
    /// one saves its progress as its batches of 500 rows are confirmed, and an upload that sends nothing is cut
    /// by the body timeout long before. A live upload slower than that (under 500 rows in ten
    /// minutes) would get a second import beside it, which stores nothing twice: event rows carry
    /// `messageId`s derived from the key and line, user rows are upserts.
    static let abandonedAfter: TimeInterval = 600

    /// Returns the earlier result for a repeated `Idempotency-Key`, else records a new running job.
    /// An earlier job that failed (storage went away, the client disconnected) or was abandoned
    /// is no result to replay: the retry imports the file again under the same key, and rows the
    /// first try stored are found stored (their `messageId`s derive from the key and line).
    private func open(kind: CSVImportMapper.Kind, format: ImportSession.Format, source: SourceRoute, idempotencyKey: String?,
                      eventLoop: any EventLoop) async throws -> StreamingStart {
        if let idempotencyKey,
           let earlier = try await store.findOne(Collections.imports, filter: ["tenantId": .string(source.tenantId), "idempotencyKey": .string(idempotencyKey)])
        {
            guard Self.mayRetry(earlier, now: Date()), let earlierId = earlier["_id"] else {
                return .respond(.json(.ok, ImportSummary.render(earlier), headers: [("idempotent-replayed", "true")]))
            }
            // The failed job keeps its record but gives up the key. Of two retries racing, one
            // takes the key with its new job below and the other is answered with that job.
            _ = try await store.updateOne(
                Collections.imports, filter: ["_id": earlierId, "idempotencyKey": .string(idempotencyKey), "status": earlier["status"] ?? .null],
                update: ["$unset": ["idempotencyKey": ""], "$set": ["retriedIdempotencyKey": .string(idempotencyKey)]])
            logger.info("import retried under the same idempotency key", metadata: ["earlier": "\(earlierId)", "source": "\(source.id)"])
        }
        let importId = "imp_" + RequestID.make()
        let now = Date()
        var job: JSONObject = [
            "_id": .string(importId), "tenantId": .string(source.tenantId), "sourceId": .string(source.id),
            "kind": .string(kind.rawValue), "status": "running", "rowsTotal": 0, "rowsImported": 0, "rowsRejected": 0,
            "errors": .array([]), "bytesRead": 0, "createdAt": .date(now), "updatedAt": .date(now),
        ]
        if let idempotencyKey { job["idempotencyKey"] = .string(idempotencyKey) }
        switch try await store.insertOne(Collections.imports, job) {
        case .stored:
            break
        case .duplicate:
            // Another upload with the same key won the race: answer with its job.
            if let idempotencyKey,
               let earlier = try await store.findOne(Collections.imports, filter: ["tenantId": .string(source.tenantId), "idempotencyKey": .string(idempotencyKey)])
            {
                return .respond(.json(.ok, ImportSummary.render(earlier), headers: [("idempotent-replayed", "true")]))
            }
            return .respond(.error(.storageUnavailable()))
        case .failed:
            return .respond(.error(.storageUnavailable()))
        }
        let context = ImportContext(tenantId: source.tenantId, sourceId: source.id, importId: importId,
                                    idempotencyKey: idempotencyKey ?? importId, receivedAt: now)
        logger.info("import started", metadata: ["import": "\(importId)", "source": "\(source.id)", "kind": "\(kind.rawValue)"])
        let rules = kind == .events ? routes.triggers(tenantId: source.tenantId, appliesTo: .events) : []
        return .consume(ImportSession(kind: kind, format: format, context: context, store: store, metrics: metrics,
                                      triggerRules: rules, triggersStored: triggersStored, eventLoop: eventLoop, logger: logger))
    }

    /// Whether a stored job with the request's key failed or was abandoned, so the key may be used again.
    static func mayRetry(_ job: JSONObject, now: Date) -> Bool {
        switch job["status"]?.stringValue {
        case "failed":
            return true
        case "running":
            guard case .date(let updatedAt) = job["updatedAt"] else { return false }
            return now.timeIntervalSince(updatedAt) > abandonedAfter
        default:
            return false
        }
    }

    static func bearer(_ headers: HTTPHeaders) -> String? {
        guard let value = headers.first(name: "authorization") else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let key = parts[1].trimmingCharacters(in: .whitespaces)
        return key.isEmpty ? nil : key
    }

    static func mediaType(_ headers: HTTPHeaders) -> String {
        let value = headers.first(name: "content-type") ?? ""
        return value.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
    }
}

/// `GET /v1/imports/{id}`: the job's summary at any time, for the tenant that owns it.
final class ImportStatusEndpoint: Endpoint {
    private let routes: RouteTable
    private let keys: APIKeyCache
    private let store: MongoStore

    init(routes: RouteTable, keys: APIKeyCache, store: MongoStore) {
        self.routes = routes
        self.keys = keys
        self.store = store
    }

    func respond(to request: InletRequest, on eventLoop: any EventLoop, answer: @escaping EndpointAnswer) {
        let importId = String(request.path.split(separator: "/").last ?? "")
        guard let key = ImportsEndpoint.bearer(request.headers) else {
            return answer(.success(.error(.unauthorized("missing partner key"))))
        }
        keys.lookup(key, on: eventLoop) { found in
            guard case .success(let record) = found else { return answer(.success(.error(.storageUnavailable()))) }
            guard let record, !record.isRevoked, self.routes.source(id: record.sourceId)?.kind == .imports else {
                return answer(.success(.error(.unauthorized("unknown partner key"))))
            }
            // By id, or by the client's own Idempotency-Key: the id is only known once the upload
            // ends, the key is known from the start, so a client can poll a running upload with it.
            let filter: JSONObject = [
                "tenantId": .string(record.tenantId),
                "$or": [["_id": .string(importId)], ["idempotencyKey": .string(importId)]],
            ]
            self.store.findOne(Collections.imports, filter: filter, on: eventLoop).whenComplete { result in
                switch result {
                case .success(let document?): answer(.success(.json(.ok, ImportSummary.render(document))))
                case .success(nil): answer(.success(.error(.notFound("no import \(importId)"))))
                case .failure: answer(.success(.error(.storageUnavailable())))
                }
            }
        }
    }
}
