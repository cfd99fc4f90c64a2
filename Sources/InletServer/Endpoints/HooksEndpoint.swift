import Foundation
import InletAuth
import InletConfig
import InletModel
import Logging
import Metrics
import MongoStore
import NIOCore
import Normalize
import RateLimit
import RedisClient

/// `POST|GET /v1/hooks/{sourceId}`: provider delivery callbacks. Verify the provider's signature
/// over the raw bytes → replay check → normalise into `deliveryEvents` → rate limit → store (with
/// any matching triggers) → `200`. A bad signature is `401` and stores nothing; a replay is `200`
/// and stores nothing new (the unique `dedupKey` guarantees it; the Redis nonce catches replays of
/// schemes whose signature does not cover an event id, such as Mailgun's token).
final class HooksEndpoint: Endpoint {
    private let routes: RouteTable
    private let region: Region
    private let publicURL: String
    private let limiter: RateLimiter
    private let nonces: NonceStore
    private let redis: RedisClient
    private let store: MongoStore
    /// Tells the forwarder that new triggers wait in the outbox, so delivery starts at once.
    private let triggersStored: @Sendable () -> Void
    private let logger: Logger
    private let rejections = Counter(label: "inlet_callbacks_rejected_total")

    /// A nonce outlives the ±5 minute timestamp window, so a replay inside the window is caught.
    static let nonceTTLMilliseconds = 10 * 60 * 1000

    init(routes: RouteTable, region: Region, publicURL: String, limiter: RateLimiter, nonces: NonceStore,
         redis: RedisClient, store: MongoStore, triggersStored: @escaping @Sendable () -> Void, logger: Logger) {
        self.triggersStored = triggersStored
        self.routes = routes
        self.region = region
        self.publicURL = publicURL
        self.limiter = limiter
        self.nonces = nonces
        self.redis = redis
        self.store = store
        self.logger = logger
    }

    func respond(to request: InletRequest, on eventLoop: any EventLoop, answer: @escaping EndpointAnswer) {
        let sourceId = String(request.lastPathSegment)
        guard let source = routes.source(id: sourceId), source.kind.isProvider else {
            return answer(.success(.error(.notFound("no provider source \(sourceId)"))))
        }
        guard source.region == region else {
            return answer(.success(EndpointSupport.wrongRegion(tenant: source.tenantId, region: source.region)))
        }
        let now = Date()
        // A body that the signature check reads is parsed once, for the signature, the replay
        // nonce and the events: Twilio's form, Mailgun's and SNS's JSON. Other bodies are parsed
        // only once verified.
        let form = source.kind == .twilio ? FormURLEncoded.parse(request.body) : nil
        let json = source.kind == .mailgun || source.kind == .ses
            ? Result { () throws(JSONParseError) in try JSONParser.parse(request.body) } : nil
        let providerRequest = ProviderRequest(
            method: request.method.rawValue, path: request.uri,
            headers: request.headers.map { (name: $0.name, value: $0.value) }, body: request.body, publicURL: publicURL, form: form,
            json: try? json?.get()
        )
        switch ProviderVerifier.verify(kind: source.kind, request: providerRequest, credentials: source.credentials, now: now) {
        case .rejected(let reason):
            rejections.increment()
            logger.warning("callback rejected", metadata: ["source": "\(source.id)", "reason": "\(reason)", "request-id": "\(request.requestId)"])
            return answer(.success(.error(.unauthorized("signature verification failed"))))
        case .handshake(let body, let contentType):
            return answer(.success(InletResponse(status: .ok, headers: [("content-type", contentType)], body: body)))
        case .verified:
            break
        }
        guard request.method == .POST else {
            return answer(.success(.error(InletError(status: 405, code: "method_not_allowed", message: "callbacks are POSTed"))))
        }
        let payload: ProviderPayload
        do {
            let context = DeliveryContext(tenantId: source.tenantId, sourceId: source.id, receivedAt: now,
                                          headerEventId: request.headers.first(name: "webhook-id"))
            payload = try ProviderNormalizer.normalize(kind: source.kind, body: request.body,
                                                       contentType: request.headers.first(name: "content-type"), context: context,
                                                       form: form, json: json)
        } catch {
            return answer(.success(.error(error)))
        }
        if let path = payload.events.lazy.compactMap(\.document.firstUnstorableFieldName).first {
            return answer(.success(.error(.badRequest("invalid_field_name", "field names must not be empty or contain NUL (at \(path))"))))
        }
        // Rate limits only sources whose route asks for it: providers retry on `429`, so a limit
        // is opt-in for callbacks.
        guard let policy = source.rateLimit else {
            return deduplicated(source: source, request: request, body: providerRequest.json, payload: payload, now: now, headers: [],
                                on: eventLoop, answer: answer)
        }
        limiter.check(tenantId: source.tenantId, sourceId: source.id, policy: policy, cost: max(1, payload.events.count),
                      on: eventLoop) { decision in
            if let refusal = EndpointSupport.refusal(decision) { return answer(.success(refusal)) }
            self.deduplicated(source: source, request: request, body: providerRequest.json, payload: payload, now: now,
                              headers: EndpointSupport.rateLimitHeaders(decision), on: eventLoop, answer: answer)
        }
    }

    /// The replay check: one nonce per delivery, set before storing and cleared again if the store
    /// fails, so the provider's retry is not mistaken for a replay. Redis being down only skips
    /// this check; the unique `dedupKey` still stops duplicates.
    private func deduplicated(source: SourceRoute, request: InletRequest, body: JSONValue?, payload: ProviderPayload, now: Date,
                              headers: [(String, String)], on eventLoop: any EventLoop, answer: @escaping EndpointAnswer) {
        guard let nonce = Self.nonce(kind: source.kind, request: request, body: body, payload: payload) else {
            return storeAll(source: source, payload: payload, now: now, headers: headers, on: eventLoop) { answer(.success($0)) }
        }
        let key = "inlet:nonce:{\(source.tenantId):\(source.id)}:\(nonce)"
        // Callbacks rather than a chain of futures: providers retry, and every retry comes here.
        nonces.firstSeen(key, ttlMilliseconds: Self.nonceTTLMilliseconds, on: eventLoop) { seen in
            guard (try? seen.get()) ?? true else {
                return answer(.success(.json(.ok, Array(#"{"success":true,"duplicate":true}"#.utf8), headers: headers)))
            }
            self.storeAll(source: source, payload: payload, now: now, headers: headers, on: eventLoop) { response in
                if response.status != .ok { self.redis.send(["DEL", key], on: eventLoop).whenComplete { _ in } }
                answer(.success(response))
            }
        }
    }

    private func storeAll(source: SourceRoute, payload: ProviderPayload, now: Date, headers: [(String, String)],
                          on eventLoop: any EventLoop, answer: @escaping @Sendable (InletResponse) -> Void) {
        let rules = routes.triggers(tenantId: source.tenantId, appliesTo: .deliveryEvents)
        var writes = payload.events.map { StoreWrite.insert(Collections.deliveryEvents, $0.document) }
        var dependents = payload.events.map {
            TriggerOutbox.writes(for: $0.document, documentId: $0.dedupKey, rules: rules, tenantId: source.tenantId,
                                 sourceId: source.id, now: now)
        }
        if var confirmation = payload.subscriptionConfirmation {
            // Recorded for an operator to confirm by hand; inlet never fetches the SubscribeURL.
            confirmation["tenantId"] = .string(source.tenantId)
            confirmation["sourceId"] = .string(source.id)
            confirmation["receivedAt"] = .date(now)
            writes.append(.insert(Self.subscriptionsCollection, confirmation))
            dependents.append([])
            logger.notice("SNS subscription confirmation recorded; confirm it by hand", metadata: ["source": "\(source.id)"])
        }
        guard !writes.isEmpty else {
            return answer(.json(.ok, Array(#"{"success":true,"stored":0}"#.utf8), headers: headers))
        }
        let hasTriggers = dependents.contains { !$0.isEmpty }
        store.submit(writes, then: dependents, on: eventLoop) { outcomes in
            if hasTriggers { self.triggersStored() }
            guard outcomes.allSatisfy(\.isDurable) else { return answer(.error(.storageUnavailable(), headers: headers)) }
            let stored = outcomes.filter { $0 == .stored }.count
            answer(.json(.ok, Array(#"{"success":true,"stored":\#(stored)}"#.utf8), headers: headers))
        }
    }

    /// SNS subscription confirmations, kept for operators (see docs/providers.md).
    static let subscriptionsCollection = "snsSubscriptions"

    /// The id that makes one delivery unique, where the scheme has one outside the signed event id:
    /// Mailgun's signing token, the Standard Webhooks `webhook-id`, or a single event's own id.
    /// `body`: the request's JSON body, already parsed (Mailgun's).
    static func nonce(kind: SourceKind, request: InletRequest, body: JSONValue?, payload: ProviderPayload) -> String? {
        switch kind {
        case .mailgun:
            guard let token = body?["signature"]?["token"]?.stringValue else { return nil }
            return "mailgun:" + token
        case .standardWebhooks:
            return request.headers.first(name: "webhook-id").map { "webhook:" + $0 }
        default:
            guard payload.events.count == 1, let id = payload.events[0].providerEventId else { return nil }
            return id
        }
    }
}
