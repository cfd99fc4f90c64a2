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

    init(routes: RouteTable, region: Region, keys: APIKeyCache, store: MongoStore, logger: Logger) {
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

    /// Returns the earlier result for a repeated `Idempotency-Key`, else records a new running job.
    private func open(kind: CSVImportMapper.Kind, format: ImportSession.Format, source: SourceRoute, idempotencyKey: String?,
                      eventLoop: any EventLoop) async throws -> StreamingStart {
        if let idempotencyKey,
           let earlier = try await store.findOne(Collections.imports, filter: ["tenantId": .string(source.tenantId), "idempotencyKey": .string(idempotencyKey)])
        {
            return .respond(.json(.ok, ImportSummary.render(earlier), headers: [("idempotent-replayed", "true")]))
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
        return .consume(ImportSession(kind: kind, format: format, context: context, store: store, metrics: metrics,
                                      eventLoop: eventLoop, logger: logger))
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
