import AsyncHTTPClient
import Foundation
import InletModel
import Logging
import MongoStore
import NIOConcurrencyHelpers
import ServiceLifecycle

/// Delivers the `triggers` outbox to the campaign engine (CONTRACT.md "Campaign triggers").
///
/// Each trigger is claimed with an atomic conditional update that sets a lease, so any number of
/// instances share one outbox and never send the same trigger at the same time; a claim whose
/// instance died is taken over once its lease expires. Delivery is at least once: the engine
/// dedupes on `Idempotency-Key`.
///
/// A `Service`: `run()` polls until graceful shutdown, then stops claiming, lets the deliveries in
/// flight finish and records their outcomes. On cancellation, deliveries are cut short and their
/// claims handed back.
public final class TriggerForwarder: Service, Sendable {
    public let configuration: Configuration
    /// Written as `owner` on claimed triggers: which instance holds a lease.
    public let instanceID: String

    let store: MongoStore
    let endpoint: String
    let secret: String
    let logger: Logger
    let metrics = ForwarderMetrics()
    let wakeup = WakeSignal()
    private let stopping = NIOLockedValueBox(false)
    private let inFlight = NIOLockedValueBox(0)

    public init(store: MongoStore, engineURL: String, secret: String, configuration: Configuration = .init(), logger: Logger) {
        self.store = store
        self.secret = secret
        self.configuration = configuration
        self.logger = logger
        var base = engineURL
        while base.hasSuffix("/") { base.removeLast() }
        endpoint = base + "/v1/triggers"
        instanceID = "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString.prefix(8))"
        if configuration.lease <= configuration.requestTimeout {
            logger.warning(
                "trigger lease does not exceed the request timeout; a slow delivery may be sent twice",
                metadata: ["lease": "\(configuration.lease)", "requestTimeout": "\(configuration.requestTimeout)"]
            )
        }
    }

    /// Starts a claim round now instead of at the next poll; the server calls it after storing a
    /// trigger so delivery does not wait for the poll interval.
    public func wake() {
        wakeup.signal()
    }

    public func run() async throws {
        // Made here, not in init, so a forwarder that never runs owns nothing that needs shutting down.
        let client = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup,
            configuration: Self.clientConfiguration(configuration),
            backgroundActivityLogger: logger
        )
        logger.info("trigger forwarder started", metadata: ["owner": "\(instanceID)", "maxInFlight": "\(configuration.maxInFlight)"])
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { background in
                let gauges = OutboxGauges(store: store, interval: configuration.gaugeInterval, logger: logger)
                background.addTask { await gauges.run() }
                await withDiscardingTaskGroup { deliveries in
                    await self.dispatch(client, into: &deliveries)
                }
                background.cancelAll()
            }
        } onGracefulShutdown: {
            self.stopping.withLockedValue { $0 = true }
            self.wakeup.signal()
        }
        try await client.shutdown()
        logger.info("trigger forwarder stopped", metadata: ["owner": "\(instanceID)"])
    }

    private var shouldStop: Bool {
        Task.isCancelled || stopping.withLockedValue { $0 }
    }

    /// Claims as many due triggers as there are free delivery slots; waits for a slot, a poll
    /// tick or `wake()` when there is nothing to do.
    private func dispatch(_ client: HTTPClient, into deliveries: inout DiscardingTaskGroup) async {
        let limit = max(1, configuration.maxInFlight)
        while !shouldStop {
            let free = limit - inFlight.withLockedValue { $0 }
            if free <= 0 {
                await wakeup.wait(upTo: configuration.pollInterval)
                continue
            }
            let claimed: [ClaimedTrigger]
            do {
                claimed = try await claimDue(limit: free)
            } catch {
                metrics.storeErrors.increment()
                logger.warning("cannot claim triggers", metadata: ["error": "\(error)"])
                await wakeup.wait(upTo: configuration.pollInterval)
                continue
            }
            guard !claimed.isEmpty else {
                await wakeup.wait(upTo: configuration.pollInterval)
                continue
            }
            inFlight.withLockedValue { $0 += claimed.count }
            for trigger in claimed {
                deliveries.addTask {
                    await self.deliver(trigger, client: client)
                    self.inFlight.withLockedValue { $0 -= 1 }
                    self.wakeup.signal()
                }
            }
        }
    }

    /// Finds up to `limit` due triggers with one query, then claims each with an atomic
    /// update by `_id` that also requires the fields the query saw to be unchanged: a
    /// trigger another instance claimed (or rescheduled) in between no longer matches and is
    /// skipped. An `_id` lookup per claim instead of a scan of the outbox per claim.
    func claimDue(limit: Int) async throws -> [ClaimedTrigger] {
        let now = Date()
        var due = try await store.find(Collections.triggers, filter: OutboxQueries.dueFilter(now: now),
                                       sort: OutboxQueries.claimSort, limit: limit)
        if due.count < limit {
            due += try await store.find(Collections.triggers, filter: OutboxQueries.expiredLeaseFilter(now: now),
                                        sort: OutboxQueries.expiredLeaseSort, limit: limit - due.count)
        }
        var claimed: [ClaimedTrigger] = []
        for candidate in due {
            guard let filter = OutboxQueries.unchangedFilter(candidate) else { continue }
            // Each lease runs from its own claim, not from the query: claims are made one by one.
            let update = OutboxQueries.claimUpdate(owner: instanceID, now: Date(), lease: configuration.lease)
            // `updateOne`, not `findOneAndUpdate`: the same atomic claim, and we already hold the
            // document (findAndModify is an order of magnitude slower on some servers).
            let (matched, _) = try await store.updateOne(Collections.triggers, filter: filter, update: update, upsert: false)
            guard matched == 1 else { continue }
            var document = candidate
            for (field, value) in update["$set"]?.objectValue ?? [:] { document[field] = value }
            claimed.append(ClaimedTrigger(document: document))
        }
        return claimed
    }

    static func clientConfiguration(_ configuration: Configuration) -> HTTPClient.Configuration {
        var client = HTTPClient.Configuration()
        // A redirect would send the signed trigger somewhere the operator did not configure.
        client.redirectConfiguration = .disallow
        client.timeout = .init(connect: .init(configuration.connectTimeout), read: .init(configuration.requestTimeout))
        client.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, configuration.maxInFlight))
        client.httpVersion = .automatic
        return client
    }
}
