import Forwarder
import Foundation
import InletModel
import InletServer
import Logging
import MongoStore
import Testing

/// The forwarder against the shared SecantusDB and a scripted engine, each test in its own database.
@Suite("Forwarder")
struct ForwarderTests {
    typealias Support = ForwarderTestSupport

    static func forwarder(
        _ store: MongoStore, _ receiver: EngineReceiver, _ configuration: TriggerForwarder.Configuration = Support.fastConfiguration()
    ) -> TriggerForwarder {
        TriggerForwarder(store: store, engineURL: receiver.url + "/", secret: Support.secret, configuration: configuration, logger: Support.logger)
    }

    @Test func deliversAPendingTriggerSignedAndMarksItDelivered() async throws {
        let receiver = EngineReceiver(secret: Support.secret)
        try await receiver.start()
        try await Support.withOutbox { store, _ in
            let document = Support.trigger("m-1")
            try await Support.insert([document], into: store)
            let stored = try await Support.document("acme:order-completed:m-1", in: store)
            let forwarder = Self.forwarder(store, receiver)
            try await Support.running([forwarder]) {
                try await Support.expectEventually { try await Support.count(store, status: "delivered") == 1 }
            }
            let request = try #require(receiver.received.first)
            #expect(receiver.received.count == 1)
            #expect(request.path == "/v1/triggers")
            #expect(request.signatureValid)
            #expect(request.idempotencyKey == "acme:order-completed:m-1")
            #expect(request.contentType == "application/json")
            #expect(!String(decoding: request.body, as: UTF8.self).contains(Support.secret))
            let body = try #require(request.json?.objectValue)
            #expect(body.keys == ["id", "tenantId", "trigger", "campaign", "event", "createdAt"])
            #expect(body["id"] == "acme:order-completed:m-1")
            #expect(body["tenantId"] == "acme")
            #expect(body["trigger"] == "order-completed")
            #expect(body["campaign"] == "cmp_123")
            let storedEvent = try #require(stored["event"])
            #expect(body["event"] == (try JSONParser.parse(storedEvent.jsonBytes())))
            #expect(body["createdAt"] == (try JSONParser.parse(try #require(stored["createdAt"]).jsonBytes())))

            let delivered = try await Support.document("acme:order-completed:m-1", in: store)
            #expect(delivered["status"] == "delivered")
            #expect(delivered["attempts"] == 1)
            if case .date = delivered["deliveredAt"] {} else { Issue.record("deliveredAt is not a date: \(String(describing: delivered["deliveredAt"]))") }
            #expect(delivered["owner"] == nil)
            #expect(delivered["leaseUntil"] == nil)
        }
        try await receiver.stop()
    }

    @Test func retriesAfterAServerError() async throws {
        let receiver = EngineReceiver(secret: Support.secret, script: [500, 200])
        try await receiver.start()
        try await Support.withOutbox { store, _ in
            try await Support.insert([Support.trigger("m-retry")], into: store)
            try await Support.running([Self.forwarder(store, receiver)]) {
                try await Support.expectEventually { try await Support.count(store, status: "delivered") == 1 }
            }
            let document = try await Support.document("acme:order-completed:m-retry", in: store)
            #expect(document["attempts"] == 2)
            #expect(document["lastError"] == "HTTP 500")
            #expect(receiver.received.map(\.status) == [500, 200])
            #expect(receiver.receivedIDs == ["acme:order-completed:m-retry", "acme:order-completed:m-retry"])
            #expect(receiver.received.allSatisfy { $0.signatureValid })
        }
        try await receiver.stop()
    }

    @Test func survivesAnEngineOutageAcrossAForwarderRestart() async throws {
        let receiver = EngineReceiver(secret: Support.secret)
        try await receiver.start()
        let port = receiver.port
        try await receiver.stop()
        try await Support.withOutbox { store, _ in
            let ids = (0..<5).map { "m-outage-\($0)" }
            try await Support.insert(ids.map { Support.trigger($0) }, into: store)
            let first = Self.forwarder(store, receiver)
            try await Support.running([first]) {
                let allTried = try await Support.eventually {
                    try await store.count(Collections.triggers, filter: ["attempts": ["$gte": 2]]) == ids.count
                }
                #expect(allTried)
            }
            // A graceful stop records every attempt in flight: no claim is left to expire.
            #expect(try await Support.count(store, status: "sending") == 0)
            #expect(try await Support.count(store, status: "pending") == ids.count)
            let failed = try await Support.document("acme:order-completed:m-outage-0", in: store)
            #expect(failed["lastError"]?.stringValue?.isEmpty == false)

            let second = Self.forwarder(store, receiver)
            try await Support.running([second]) {
                try await receiver.start(port: port)
                try await Support.expectEventually { try await Support.count(store, status: "delivered") == ids.count }
            }
            #expect(Set(receiver.receivedIDs) == Set(ids.map { "acme:order-completed:\($0)" }))
            #expect(receiver.received.count == ids.count)
            #expect(receiver.received.allSatisfy { $0.signatureValid })
        }
        try await receiver.stop()
    }

    @Test func twoForwardersOnOneOutboxSendEachTriggerOnce() async throws {
        let receiver = EngineReceiver(secret: Support.secret)
        try await receiver.start()
        try await Support.withOutbox { store, database in
            let otherStore = try Support.openStore(database: database)
            let ids = (0..<50).map { "acme:order-completed:m-shared-\($0)" }
            try await Support.insert((0..<50).map { Support.trigger("m-shared-\($0)") }, into: store)
            // Delivery is at least once: a claim whose lease runs out mid-delivery is taken over and
            // sent again. Exactly once holds while leases outlast deliveries, which on a loaded
            // test machine takes more than the fast configuration's ten seconds.
            var configuration = Support.fastConfiguration()
            configuration.lease = .seconds(120)
            let forwarders = [Self.forwarder(store, receiver, configuration), Self.forwarder(otherStore, receiver, configuration)]
            #expect(forwarders[0].instanceID != forwarders[1].instanceID)
            do {
                try await Support.running(forwarders) {
                    try await Support.expectEventually { try await Support.count(store, status: "delivered") == ids.count }
                }
                try await otherStore.shutdown()
            } catch {
                try? await otherStore.shutdown()
                throw error
            }
            let received = receiver.receivedIDs
            #expect(received.count == ids.count)
            #expect(Set(received) == Set(ids))
            #expect(try await store.count(Collections.triggers, filter: ["attempts": 1]) == ids.count)
        }
        try await receiver.stop()
    }

    @Test func takesOverAClaimWhoseLeaseExpired() async throws {
        let receiver = EngineReceiver(secret: Support.secret)
        try await receiver.start()
        try await Support.withOutbox { store, _ in
            let now = Date()
            var crashed = Support.trigger("m-crashed", now: now.addingTimeInterval(-120))
            crashed["status"] = "sending"
            crashed["attempts"] = 1
            crashed["owner"] = "crashed-instance"
            crashed["leaseUntil"] = .date(now.addingTimeInterval(-60))
            var live = Support.trigger("m-live", now: now.addingTimeInterval(-120))
            live["status"] = "sending"
            live["owner"] = "live-instance"
            live["leaseUntil"] = .date(now.addingTimeInterval(600))
            try await Support.insert([crashed, live], into: store)

            try await Support.running([Self.forwarder(store, receiver)]) {
                try await Support.expectEventually { try await Support.count(store, status: "delivered") == 1 }
            }
            let takenOver = try await Support.document("acme:order-completed:m-crashed", in: store)
            #expect(takenOver["status"] == "delivered")
            #expect(takenOver["attempts"] == 2)
            #expect(takenOver["owner"] == nil)
            let untouched = try await Support.document("acme:order-completed:m-live", in: store)
            #expect(untouched["status"] == "sending")
            #expect(untouched["owner"] == "live-instance")
            #expect(receiver.receivedIDs == ["acme:order-completed:m-crashed"])
        }
        try await receiver.stop()
    }

    @Test func goesDeadAfterTwentyFailuresAndIsDeliveredAfterARetry() async throws {
        let receiver = EngineReceiver(secret: Support.secret, defaultStatus: 500)
        try await receiver.start()
        try await Support.withOutbox { store, _ in
            var configuration = Support.fastConfiguration()
            configuration.backoffBase = .milliseconds(1)
            configuration.backoffCap = .milliseconds(4)
            #expect(configuration.maxAttempts == 20)
            let id = "acme:order-completed:m-dead"
            try await Support.insert([Support.trigger("m-dead")], into: store)
            let forwarder = Self.forwarder(store, receiver, configuration)
            let admin = TriggerAdmin(store: store)
            try await Support.running([forwarder]) {
                try await Support.expectEventually { try await Support.count(store, status: "dead") == 1 }
                let dead = try await Support.document(id, in: store)
                #expect(dead["attempts"] == 20)
                #expect(dead["lastError"] == "HTTP 500")
                // Every attempt the engine saw was signed and keyed; a transport failure (a connect
                // that timed out under load) is a failed attempt the engine never sees, so at most 20.
                let failedDeliveries = receiver.received.count
                #expect((1...20).contains(failedDeliveries))
                #expect(receiver.received.allSatisfy { $0.signatureValid && $0.idempotencyKey == id && $0.status == 500 })

                let listed = try await admin.list(status: "dead")
                #expect(listed.map(\.id) == [id])
                #expect(listed.first?.attempts == 20)
                #expect(listed.first?.lastError == "HTTP 500")
                #expect(listed.first?.campaign == "cmp_123")

                receiver.setDefaultStatus(200)
                #expect(try await admin.retry(id: id) == .scheduled)
                forwarder.wake()
                try await Support.expectEventually { try await Support.count(store, status: "delivered") == 1 }
                let delivered = try await Support.document(id, in: store)
                #expect(delivered["attempts"] == 1)
                #expect(receiver.received.count == failedDeliveries + 1)
                #expect(receiver.received.last?.status == 200)
            }
            #expect(try await admin.list(status: "dead").isEmpty)
        }
        try await receiver.stop()
    }

    @Test func adminRetriesAllDeadAndSaysWhyItCannot() async throws {
        let receiver = EngineReceiver(secret: Support.secret)
        try await receiver.start()
        try await Support.withOutbox { store, _ in
            var documents: [JSONObject] = []
            for index in 0..<3 {
                var dead = Support.trigger("m-dead-\(index)")
                dead["status"] = "dead"
                dead["attempts"] = 20
                dead["lastError"] = "HTTP 502"
                documents.append(dead)
            }
            var delivered = Support.trigger("m-done")
            delivered["status"] = "delivered"
            delivered["attempts"] = 1
            var inFlight = Support.trigger("m-flying")
            inFlight["status"] = "sending"
            inFlight["owner"] = "live-instance"
            inFlight["leaseUntil"] = .date(Date().addingTimeInterval(600))
            try await Support.insert(documents + [delivered, inFlight], into: store)

            let admin = TriggerAdmin(store: store)
            #expect(try await admin.list(status: "dead", limit: 2).count == 2)
            #expect(try await admin.retry(id: "acme:order-completed:m-done") == .alreadyDelivered)
            #expect(try await admin.retry(id: "acme:order-completed:m-flying") == .inFlight)
            #expect(try await admin.retry(id: "acme:order-completed:nope") == .notFound)
            #expect(try await admin.retryAllDead() == 3)
            #expect(try await Support.count(store, status: "dead") == 0)
            let retried = try await Support.document("acme:order-completed:m-dead-1", in: store)
            #expect(retried["status"] == "pending")
            #expect(retried["attempts"] == 0)
            #expect(retried["lastError"] == "HTTP 502")

            try await Support.running([Self.forwarder(store, receiver)]) {
                try await Support.expectEventually { try await Support.count(store, status: "delivered") == 4 }
            }
            #expect(Set(receiver.receivedIDs) == Set((0..<3).map { "acme:order-completed:m-dead-\($0)" }))
        }
        try await receiver.stop()
    }

    @Test func wakeStartsDeliveryWithoutWaitingForThePoll() async throws {
        let receiver = EngineReceiver(secret: Support.secret)
        try await receiver.start()
        try await Support.withOutbox { store, _ in
            var configuration = Support.fastConfiguration()
            configuration.pollInterval = .seconds(120)
            let forwarder = Self.forwarder(store, receiver, configuration)
            try await Support.insert([Support.trigger("m-first")], into: store)
            try await Support.running([forwarder]) {
                try await Support.expectEventually { try await Support.count(store, status: "delivered") == 1 }
                // Let the claim round that follows a delivery find nothing, so the forwarder is idle.
                try await Task.sleep(for: .milliseconds(300))
                try await Support.insert([Support.trigger("m-second")], into: store)
                forwarder.wake()
                try await Support.expectEventually(limit: .seconds(20)) { try await Support.count(store, status: "delivered") == 2 }
            }
            #expect(receiver.receivedIDs == ["acme:order-completed:m-first", "acme:order-completed:m-second"])
        }
        try await receiver.stop()
    }
}

extension ForwarderTests {
    @Test func cancellationHandsAClaimBackWithoutCountingAnAttempt() async throws {
        let receiver = EngineReceiver(secret: Support.secret, defaultStatus: EngineReceiver.noAnswer)
        try await receiver.start()
        try await Support.withOutbox { store, _ in
            var configuration = Support.fastConfiguration()
            configuration.requestTimeout = .seconds(60)
            configuration.lease = .seconds(120)
            let id = "acme:order-completed:m-hanging"
            try await Support.insert([Support.trigger("m-hanging")], into: store)
            let forwarder = Self.forwarder(store, receiver, configuration)
            let running = Task { try await forwarder.run() }
            try await Support.expectEventually { receiver.received.count == 1 }
            let claimed = try await Support.document(id, in: store)
            #expect(claimed["status"] == "sending")
            #expect(claimed["owner"] == .string(forwarder.instanceID))
            running.cancel()
            try await running.value
            let released = try await Support.document(id, in: store)
            #expect(released["status"] == "pending")
            #expect(released["attempts"] == 0)
            #expect(released["owner"] == nil)
            #expect(released["leaseUntil"] == nil)
        }
        try await receiver.stop()
    }

    @Test func exportsOutboxMetrics() async throws {
        InletMetrics.bootstrapOnce()
        let receiver = EngineReceiver(secret: Support.secret, script: [500, 200])
        try await receiver.start()
        try await Support.withOutbox { store, _ in
            try await Support.insert([Support.trigger("m-metrics")], into: store)
            try await Support.running([Self.forwarder(store, receiver)]) {
                try await Support.expectEventually { try await Support.count(store, status: "delivered") == 1 }
                // Gauges are refreshed every 100 ms here; other tests' forwarders may set them too,
                // so only their presence is checked, and counters only for having grown.
                try await Support.expectEventually { Self.metricValue(#"inlet_outbox_depth{status="dead"}"#) != nil }
            }
            #expect((Self.metricValue("inlet_outbox_delivered_total") ?? 0) >= 1)
            #expect((Self.metricValue("inlet_outbox_failed_attempts_total") ?? 0) >= 1)
            #expect((Self.metricValue("inlet_outbox_delivery_latency_seconds_count") ?? 0) >= 1)
            #expect(Self.metricValue("inlet_outbox_oldest_pending_age_seconds") != nil)
        }
        try await receiver.stop()
    }

    /// Without a forwarder (no engine configured) the gauges alone still count what waits.
    @Test func outboxGaugesCountWithoutAForwarder() async throws {
        InletMetrics.bootstrapOnce()
        try await Support.withOutbox { store, _ in
            let now = Date()
            try await Support.insert([Support.trigger("m-old", now: now.addingTimeInterval(-90)), Support.trigger("m-new", now: now)], into: store)
            let reading = try #require(await OutboxGauges(store: store, logger: Logger(label: "test.gauges")).refresh())
            #expect(reading.depth == ["pending": 2, "sending": 0, "dead": 0])
            #expect((90..<600).contains(reading.oldestPendingAgeSeconds), "\(reading)")
            // The process's gauges are shared with other tests' forwarders: only their presence is checked.
            #expect(Self.metricValue(#"inlet_outbox_depth{status="pending"}"#) != nil)
        }
    }

    /// The value of the exposition line for `series` (name plus labels as written), if present.
    static func metricValue(_ series: String) -> Double? {
        var buffer: [UInt8] = []
        InletMetrics.registry.emit(into: &buffer)
        let text = String(decoding: buffer, as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }
}
