import Forwarder
import Foundation
import InletConfig
import InletModel
import Logging
import MongoStore
import NIOCore
import NIOPosix
import RateLimit
import RedisClient
import ServiceLifecycle

/// The whole gateway, wired: the only place (with the CLI) that knows every module. Run it as a
/// `Service`: it starts the listeners, and on graceful shutdown (SIGTERM) stops accepting, drains
/// in-flight requests, flushes pending writes and closes its clients.
public final class InletApplication: Service, Sendable {
    public let settings: InletSettings
    public let routes: RouteTable
    public let store: MongoStore
    public let redis: RedisClient
    public let keys: APIKeyStore
    /// Delivers the outbox to the campaign engine; `nil` when no engine is configured.
    public let forwarder: TriggerForwarder?
    private let tls: TLSContextStore
    private let frontDoor: FrontDoor
    private let admin: AdminServer
    private let logger: Logger

    public init(settings: InletSettings, routes: RouteTable, logger: Logger,
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) throws {
        InletMetrics.bootstrapOnce()
        self.settings = settings
        self.routes = routes
        self.logger = logger
        var storeConfiguration = MongoStore.Configuration()
        storeConfiguration.defaultDatabase = settings.mongoDatabase
        storeConfiguration.flushers = settings.mongoFlushers
        store = try MongoStore(url: settings.mongoURL, configuration: storeConfiguration, logger: logger)
        redis = try RedisClient(url: settings.redisURL, eventLoopGroup: group, logger: logger)
        keys = APIKeyStore(store: store)
        let limiter = RateLimiter(redis: redis, logger: logger)
        let keyCache = APIKeyCache(store: store)
        tls = try TLSContextStore(certificatePath: settings.tlsCertPath, keyPath: settings.tlsKeyPath)
        if let engineURL = settings.engineURL, let secret = settings.engineSecret {
            forwarder = TriggerForwarder(store: store, engineURL: engineURL, secret: secret, logger: logger)
        } else {
            forwarder = nil
        }
        let forwarder = self.forwarder
        let triggersStored: @Sendable () -> Void = { forwarder?.wake() }

        let events = EventsEndpoint(routes: routes, region: settings.region, keys: keyCache, limiter: limiter, store: store,
                                    triggersStored: triggersStored, logger: logger)
        var limits = InletRouter.Limits()
        limits.eventsBodyBytes = settings.bodies.eventsDecompressedBytes
        limits.hooksBodyBytes = settings.bodies.hooksBytes
        let hooks = HooksEndpoint(routes: routes, region: settings.region, publicURL: settings.publicURL, limiter: limiter,
                                  nonces: NonceStore(redis: redis), redis: redis, store: store,
                                  triggersStored: triggersStored, logger: logger)
        let imports = ImportsEndpoint(routes: routes, region: settings.region, keys: keyCache, store: store,
                                      triggersStored: triggersStored, logger: logger)
        let importStatus = ImportStatusEndpoint(routes: routes, keys: keyCache, store: store)
        let router = InletRouter(events: events, hooks: hooks, imports: imports, importStatus: importStatus, limits: limits)
        frontDoor = FrontDoor(configuration: Self.frontDoorConfiguration(settings), tls: tls, router: router,
                              group: group, logger: logger)

        let redis = self.redis
        let store = self.store
        let readiness = Readiness(probes: [
            { eventLoop in
                redis.ping(on: eventLoop)
                    .map { DependencyStatus(name: "redis", isUp: true) }
                    .recover { _ in DependencyStatus(name: "redis", isUp: false, detail: "no answer to PING") }
            },
            { eventLoop in
                let promise = eventLoop.makePromise(of: DependencyStatus.self)
                promise.completeWithTask {
                    do {
                        try await store.ping()
                        return DependencyStatus(name: "mongodb", isUp: true)
                    } catch {
                        return DependencyStatus(name: "mongodb", isUp: false, detail: "no answer to ping")
                    }
                }
                return promise.futureResult
            },
        ])
        admin = AdminServer(host: settings.adminListen.host, port: settings.adminListen.port, readiness: readiness,
                            group: group, logger: logger)
        RouteFingerprint.publish(routes.fingerprint)
    }

    /// Starts both listeners; returns their bound addresses (port 0 in settings picks free ports).
    @discardableResult
    public func start() async throws -> (public: SocketAddress, admin: SocketAddress) {
        do {
            try await store.ensureSchema()
        } catch {
            // MongoDB may come up after inlet; writes fail with 503 until it does, and /readyz says so.
            logger.warning("could not create the MongoDB schema yet", metadata: ["error": "\(error)"])
        }
        let publicAddress = try await frontDoor.start()
        let adminAddress = try await admin.start()
        return (publicAddress, adminAddress)
    }

    /// Stops accepting, drains in-flight requests up to the deadline, then closes the clients.
    public func stop() async {
        await frontDoor.drain()
        await admin.stop()
        try? await store.shutdown()
        await redis.shutdown()
        logger.info("inlet stopped")
    }

    /// Runs the listeners, and the forwarder beside them, until graceful shutdown.
    public func run() async throws {
        try await start()
        try await withThrowingDiscardingTaskGroup { group in
            if let forwarder {
                group.addTask { try await forwarder.run() }
            } else {
                // Triggers still go to the outbox, to be sent once an engine is configured; the
                // gauges show how many wait, until the graceful shutdown.
                logger.notice("no campaign engine configured (INLET_ENGINE_URL, INLET_ENGINE_SECRET): triggers wait in the outbox")
                let gauges = OutboxGauges(store: store, logger: logger)
                group.addTask { await cancelWhenGracefulShutdown { await gauges.run() } }
            }
            try? await gracefulShutdown()
        }
        await stop()
    }

    /// Re-reads the TLS certificate and key (on SIGHUP). Open connections keep their certificate.
    public func reloadCertificates() throws {
        try tls.reload()
        logger.info("TLS certificate reloaded")
    }

    static func frontDoorConfiguration(_ settings: InletSettings) -> FrontDoorConfiguration {
        var configuration = FrontDoorConfiguration()
        configuration.host = settings.listen.host
        configuration.port = settings.listen.port
        configuration.maxConcurrentStreams = settings.http2.maxConcurrentStreams
        configuration.maxHeaderListSize = settings.http2.maxHeaderListSize
        configuration.idleTimeout = TimeAmount(settings.connections.idleTimeout)
        configuration.headerTimeout = TimeAmount(settings.connections.headerTimeout)
        configuration.bodyTimeout = TimeAmount(settings.connections.bodyTimeout)
        configuration.maxConnections = settings.connections.maxConnections
        configuration.drainDeadline = TimeAmount(settings.connections.drainDeadline)
        return configuration
    }
}
