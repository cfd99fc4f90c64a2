import Crypto
import Foundation
import InletConfig
import InletModel
import Logging
import Metrics
import MongoStore
import NIOCore
import NIOHTTP1
import Normalize
import RateLimit

/// `POST /v1/{track,identify,page,screen,group,alias,batch,import}`: Segment's HTTP Tracking API.
/// Parse → authenticate (write key) → region → normalise → rate limit (cost = events) → store
/// (events, profiles, triggers) → `200` only once every accepted event is durable.
/// Runs entirely on the request's event loop.
final class EventsEndpoint: Endpoint {
    private let routes: RouteTable
    private let region: Region
    private let keys: APIKeyCache
    private let limiter: RateLimiter
    private let store: MongoStore
    /// Tells the forwarder that new triggers wait in the outbox, so delivery starts at once.
    private let triggersStored: @Sendable () -> Void
    private let logger: Logger
    /// Events acknowledged as stored (a retried event found stored counts again: it was answered again).
    private let eventsStored = Counter(label: "inlet_events_stored_total")

    init(routes: RouteTable, region: Region, keys: APIKeyCache, limiter: RateLimiter, store: MongoStore,
         triggersStored: @escaping @Sendable () -> Void, logger: Logger) {
        self.triggersStored = triggersStored
        self.routes = routes
        self.region = region
        self.keys = keys
        self.limiter = limiter
        self.store = store
        self.logger = logger
    }

    func respond(to request: InletRequest, on eventLoop: any EventLoop, answer: @escaping EndpointAnswer) {
        guard let endpoint = SegmentEndpoint(pathComponent: String(request.lastPathSegment)) else {
            return answer(.success(.error(.notFound())))
        }
        guard EndpointSupport.isJSON(request.headers) else {
            return answer(.success(.error(.unsupportedMediaType("send the body as application/json"))))
        }
        let body: JSONTape
        do {
            body = try JSONParser.tape(request.body)
        } catch {
            return answer(.success(.error(.badRequest("invalid_json", error.message))))
        }
        guard let keyDigest = Self.writeKeyDigest(request, body) else {
            return answer(.success(.error(.unauthorized("missing write key"))))
        }
        // A cached key (most requests) goes on at once, with no closure made for the lookup.
        if let record = keys.cachedRecord(digest: keyDigest, on: eventLoop) {
            return authorize(record, body: body, endpoint: endpoint, request: request, on: eventLoop, answer: answer)
        }
        // Callbacks rather than futures all the way: each future is an allocation and a release of its own.
        keys.lookup(digest: keyDigest, on: eventLoop) { result in
            guard case .success(let record) = result else {
                // The key store could not answer: that is our outage, not the client's bad key.
                return answer(.success(.error(.storageUnavailable())))
            }
            self.authorize(record, body: body, endpoint: endpoint, request: request, on: eventLoop, answer: answer)
        }
    }

    /// Goes on with the source of the key's record (`nil`: unknown or revoked).
    private func authorize(_ record: APIKeyRecord?, body: JSONTape, endpoint: SegmentEndpoint, request: InletRequest,
                           on eventLoop: any EventLoop, answer: @escaping EndpointAnswer) {
        guard let record, !record.isRevoked,
              let source = routes.source(id: record.sourceId), source.kind == .events
        else {
            return answer(.success(.error(.unauthorized("unknown write key"))))
        }
        guard source.region == region else {
            return answer(.success(EndpointSupport.wrongRegion(tenant: source.tenantId, region: source.region)))
        }
        accept(body: body, endpoint: endpoint, source: source, request: request, on: eventLoop, answer: answer)
    }

    private func accept(body: JSONTape, endpoint: SegmentEndpoint, source: SourceRoute, request: InletRequest,
                        on eventLoop: any EventLoop, answer: @escaping EndpointAnswer) {
        let now = Date()
        let context = EventContext(tenantId: source.tenantId, sourceId: source.id, receivedAt: now, clientIP: request.remoteIP)
        let batch: SegmentBatch
        do {
            batch = try SegmentNormalizer.normalize(tape: body, endpoint: endpoint, context: context)
        } catch {
            return answer(.success(.error(error)))
        }
        guard !batch.accepted.isEmpty else {
            // Nothing valid: a 400, or a 413 when every event was refused for its size alone.
            let tooLarge = !batch.rejected.isEmpty && batch.rejected.allSatisfy { $0.code == "too_large" }
            return answer(.success(Self.answer(status: tooLarge ? .payloadTooLarge : .badRequest, accepted: 0, rejected: batch.rejected,
                                               headers: [])))
        }
        let cost = batch.accepted.count + batch.rejected.count
        // `check` answers Redis outages with its fallback policy and never fails.
        limiter.check(tenantId: source.tenantId, sourceId: source.id, policy: source.rateLimit ?? SourceRoute.defaultEventsRateLimit,
                      cost: cost, on: eventLoop) { decision in
            if let refusal = EndpointSupport.refusal(decision) {
                return answer(.success(refusal))
            }
            let headers = EndpointSupport.rateLimitHeaders(decision)
            let (writes, dependents, hasTriggers) = self.writes(for: batch, source: source, now: now)
            let (accepted, rejected) = (batch.accepted.count, batch.rejected)
            // One closure per request from here to the answer: each is an allocation, made on the
            // loop and freed after the store has answered.
            self.store.submit(writes, then: dependents, on: eventLoop) { outcomes in
                if hasTriggers { self.triggersStored() }
                if let failure = outcomes.first(where: { !$0.isDurable }) {
                    let failed = outcomes.count { !$0.isDurable }
                    self.logger.warning("events not stored", metadata: ["failed": "\(failed)", "reason": "\(failure)"])
                    return answer(.success(.error(.storageUnavailable(), headers: headers)))
                }
                self.eventsStored.increment(by: accepted)
                answer(.success(Self.answer(status: .ok, accepted: accepted, rejected: rejected, headers: headers)))
            }
        }
    }

    /// Every event's insert with its profile writes, and its triggers as dependents of the event's
    /// own insert (`MongoStore.submit(_:then:)`): the answer is `200` only when all are durable.
    private func writes(for batch: SegmentBatch, source: SourceRoute, now: Date)
        -> (writes: [StoreWrite], dependents: [[StoreWrite]], hasTriggers: Bool)
    {
        let rules = routes.triggers(tenantId: source.tenantId, appliesTo: .events)
        var writes: [StoreWrite] = []
        var dependents: [[StoreWrite]] = []
        writes.reserveCapacity(batch.accepted.count)
        // Events read in place: copying each out of the array retained and released its document.
        batch.accepted.withUnsafeBufferPointer { events in
            for index in events.indices {
                // The normaliser reserves `_id`: the store may give each document its ObjectId directly.
                writes.append(.insert(Collections.events, bsonWithoutId: events[index].bsonBytes))
                // The document is decoded from its BSON only when there are rules to match it against.
                if !rules.isEmpty {
                    dependents.append(TriggerOutbox.writes(for: events[index].document, documentId: events[index].messageId, rules: rules,
                                                           tenantId: source.tenantId, sourceId: source.id, now: now))
                }
                for profileWrite in events[index].profileWrites {
                    writes.append(profileWrite)
                    if !rules.isEmpty { dependents.append([]) }
                }
            }
        }
        return (writes, dependents, dependents.contains { !$0.isEmpty })
    }

    /// The digest of the request's write key, for the key cache: from HTTP Basic auth (the user
    /// name), else `writeKey` in the body or its first event. A connection's `Authorization`
    /// value is decoded and hashed once (`RecentCredential`), not on each of its requests.
    static func writeKeyDigest(_ request: InletRequest, _ body: JSONTape) -> SHA256Digest? {
        if let authorization = request.headers.first(name: "authorization") {
            if let known = request.recentCredential?.digest(for: authorization) { return known }
            if let key = WriteKey.fromBasicAuth(authorization) {
                let digest = APIKeyStore.digest(key)
                request.recentCredential?.remember(digest, for: authorization)
                return digest
            }
        }
        return bodyWriteKey(body).map(APIKeyStore.digest)
    }

    /// `writeKey` in the body, else in its first event.
    static func bodyWriteKey(_ body: JSONTape) -> String? {
        guard body.kind(body.root) == .object else { return nil }
        if let key = body.nonEmptyString(body.member(body.root, "writeKey")) { return key }
        if let events = body.member(body.root, "batch"), let first = body.elements(events).first(where: { _ in true }),
           body.kind(first) == .object
        {
            return body.nonEmptyString(body.member(first, "writeKey"))
        }
        return nil
    }

    /// The usual answer's body, made once.
    private static let success = Array(#"{"success":true}"#.utf8)

    /// `{"success":true}`, with `accepted` and `rejected` when something was rejected.
    static func answer(status: HTTPResponseStatus, accepted: Int, rejected: [EventRejection], headers: [(String, String)]) -> InletResponse {
        guard !rejected.isEmpty || status != .ok else {
            return .json(.ok, success, headers: headers)
        }
        let list: [JSONValue] = rejected.map {
            ["index": .int(Int64($0.index)), "code": .string($0.code), "message": .string($0.message)]
        }
        var body: JSONObject = ["success": .bool(status == .ok), "accepted": .int(Int64(accepted)), "rejected": .array(list)]
        if status == .payloadTooLarge {
            body["error"] = ["code": "too_large", "message": "every event in the request is over the size limit"]
        } else if status != .ok {
            body["error"] = ["code": "no_valid_events", "message": "no event in the request is valid"]
        }
        return .json(status, JSONValue.object(body).jsonBytes(), headers: headers)
    }
}
