import Foundation
import InletModel
import Testing

@testable import Forwarder

/// The forwarder's pure parts: backoff, signature, and what each attempt's result leads to.
@Suite("Forwarder policy")
struct ForwarderPolicyTests {
    static func approximately(_ duration: Duration, _ seconds: Double) -> Bool {
        abs(duration.seconds - seconds) < 1e-9 * max(1, seconds)
    }

    @Test func backoffFirstRetryWaitsTheBase() {
        let low = TriggerForwarder.backoff(attempt: 1, base: .seconds(1), cap: .seconds(300), random: 0)
        let high = TriggerForwarder.backoff(attempt: 1, base: .seconds(1), cap: .seconds(300), random: 1)
        #expect(Self.approximately(low, 1))
        #expect(Self.approximately(high, 1))
        // The second spreads over the upper half of its ceiling, which starts at the base.
        #expect(Self.approximately(TriggerForwarder.backoff(attempt: 2, base: .seconds(1), cap: .seconds(300), random: 0), 1))
        #expect(Self.approximately(TriggerForwarder.backoff(attempt: 2, base: .seconds(1), cap: .seconds(300), random: 0.5), 1.5))
    }

    @Test func defaultsAreTheContracts() {
        let configuration = TriggerForwarder.Configuration()
        #expect(configuration.backoffBase == .seconds(1))
        #expect(configuration.backoffCap == .seconds(300))
        #expect(configuration.maxAttempts == 20)
    }

    @Test func backoffDoublesPerAttemptUntilTheCap() {
        for attempt in 1...9 {
            let ceiling = Double(1 << (attempt - 1))
            #expect(Self.approximately(TriggerForwarder.backoff(attempt: attempt, base: .seconds(1), cap: .seconds(300), random: 1), ceiling))
            #expect(Self.approximately(TriggerForwarder.backoff(attempt: attempt, base: .seconds(1), cap: .seconds(300), random: 0), max(1, ceiling / 2)))
        }
        // 2^8 = 256 s is the last step below the 5 min cap; from attempt 10 on the ceiling is the cap.
        for attempt in [10, 11, 20, 63, 64, 10_000, Int.max] {
            #expect(Self.approximately(TriggerForwarder.backoff(attempt: attempt, base: .seconds(1), cap: .seconds(300), random: 1), 300))
            #expect(Self.approximately(TriggerForwarder.backoff(attempt: attempt, base: .seconds(1), cap: .seconds(300), random: 0), 150))
        }
    }

    @Test func backoffStaysWithinBoundsForAnyDraw() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let attempt = Int.random(in: -3...40, using: &generator)
            let random = Double.random(in: -0.5...1.5, using: &generator)
            let wait = TriggerForwarder.backoff(attempt: attempt, base: .milliseconds(250), cap: .seconds(60), random: random)
            let ceiling = min(60, 0.25 * Double(sign: .plus, exponent: min(max(attempt, 1) - 1, 62), significand: 1))
            #expect(wait.seconds >= max(0.25, ceiling / 2) - 1e-9 && wait.seconds <= ceiling + 1e-9, "attempt \(attempt), draw \(random): \(wait)")
        }
    }

    @Test func backoffIsMonotoneInTheDrawAndHandlesDegenerateInput() {
        let draws = stride(from: 0.0, through: 1.0, by: 0.125).map {
            TriggerForwarder.backoff(attempt: 4, base: .seconds(1), cap: .seconds(300), random: $0)
        }
        #expect(draws == draws.sorted())
        #expect(TriggerForwarder.backoff(attempt: 3, base: .zero, cap: .seconds(300), random: 1) == .zero)
        #expect(Self.approximately(TriggerForwarder.backoff(attempt: 3, base: .seconds(1), cap: .seconds(300), random: .nan), 2))
        #expect(Self.approximately(TriggerForwarder.backoff(attempt: 0, base: .seconds(1), cap: .seconds(300), random: 1), 1))
    }

    @Test func receiverHMACMatchesRFC4231() {
        // RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
        let mac = EngineReceiver.hmacSHA256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(mac.map { String(format: "%02x", $0) }.joined() == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func signatureSignsTimestampDotBody() {
        let body = Array(#"{"id":"acme:rule:m-1"}"#.utf8)
        let header = TriggerSignature.header(body: body, secret: "s3cret", timestamp: 1_700_000_000)
        let expected = EngineReceiver.hmacSHA256(key: Array("s3cret".utf8), message: Array("1700000000.".utf8) + body)
        #expect(header == "t=1700000000,v1=" + expected.map { String(format: "%02x", $0) }.joined())
        #expect(TriggerSignature.header(body: body, secret: "other", timestamp: 1_700_000_000) != header)
        #expect(TriggerSignature.header(body: body + [0x20], secret: "s3cret", timestamp: 1_700_000_000) != header)
        #expect(!header.contains("s3cret"))
    }

    @Test func verdictsFollowTheAttemptBudget() {
        var configuration = TriggerForwarder.Configuration()
        configuration.maxAttempts = 20
        #expect(OutboxQueries.verdict(for: .accepted, attemptsBefore: 19, configuration: configuration, random: 0) == .delivered)
        #expect(OutboxQueries.verdict(for: .failed(reason: "HTTP 500"), attemptsBefore: 0, configuration: configuration, random: 1) == .retry(after: .seconds(1)))
        #expect(OutboxQueries.verdict(for: .failed(reason: "HTTP 500"), attemptsBefore: 18, configuration: configuration, random: 1) == .retry(after: .seconds(300)))
        #expect(OutboxQueries.verdict(for: .failed(reason: "HTTP 500"), attemptsBefore: 19, configuration: configuration, random: 1) == .dead)
        #expect(OutboxQueries.verdict(for: .undeliverable(reason: "missing event"), attemptsBefore: 0, configuration: configuration, random: 1) == .dead)
        #expect(OutboxQueries.verdict(for: .interrupted, attemptsBefore: 19, configuration: configuration, random: 1) == .released)
    }

    @Test func updatesCountAttemptsAndDropTheLease() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let retry = OutboxQueries.update(for: .retry(after: .seconds(4)), result: .failed(reason: "HTTP 503"), now: now)
        #expect(retry["$inc"] == ["attempts": 1])
        #expect(retry["$unset"] == ["owner": "", "leaseUntil": ""])
        #expect(retry["$set"]?["status"] == "pending")
        #expect(retry["$set"]?["lastError"] == "HTTP 503")
        #expect(retry["$set"]?["nextAttemptAt"] == .date(now.addingTimeInterval(4)))
        let released = OutboxQueries.update(for: .released, result: .interrupted, now: now)
        #expect(released["$inc"] == nil)
        #expect(released["$set"] == ["status": "pending"])
    }

    @Test func bodyCarriesTheContractFieldsInOrder() throws {
        let now = Date(timeIntervalSince1970: 1_700_000_000.5)
        let trigger = ClaimedTrigger(document: ForwarderTestSupport.trigger("m-1", now: now))
        #expect(trigger.missingFields.isEmpty)
        let body = try JSONParser.parse(trigger.body())
        #expect(body.objectValue?.keys == ["id", "tenantId", "trigger", "campaign", "event", "createdAt"])
        #expect(body["id"] == "acme:order-completed:m-1")
        #expect(body["createdAt"] == "2023-11-14T22:13:20.500Z")
        #expect(body["event"]?["timestamp"] == "2023-11-14T22:13:20.500Z")
        var broken = ForwarderTestSupport.trigger("m-2")
        broken["event"] = nil
        broken["campaign"] = 7
        #expect(ClaimedTrigger(document: broken).missingFields == ["campaign", "event"])
    }
}
