import AsyncHTTPClient
import Foundation
import InletModel
import NIOCore

extension TriggerForwarder {
    /// One attempt for a claimed trigger: send it, decide what follows, record that while the
    /// claim is still ours. If recording fails the lease simply expires and the trigger is sent
    /// again — at least once, never lost.
    func deliver(_ trigger: ClaimedTrigger, client: HTTPClient) async {
        let missing = trigger.missingFields
        let result: AttemptResult
        if missing.isEmpty {
            result = await send(trigger, client: client)
        } else {
            result = .undeliverable(reason: "malformed trigger: missing \(missing.joined(separator: ", "))")
        }
        let now = Date()
        let verdict = OutboxQueries.verdict(
            for: result, attemptsBefore: trigger.attempts, configuration: configuration, random: Double.random(in: 0...1)
        )
        record(verdict, result: result, trigger: trigger, now: now)
        let filter = OutboxQueries.ownedFilter(id: trigger.idValue, owner: instanceID)
        let update = OutboxQueries.update(for: verdict, result: result, now: now)
        // An unstructured task does not inherit our cancellation: the outcome (a 2xx above all,
        // or the claim handed back on stop) is still written when the forwarder is cancelled.
        let recording = Task { [store] in try await store.updateOne(Collections.triggers, filter: filter, update: update) }
        do {
            let (matched, _) = try await recording.value
            if matched == 0 {
                logger.warning("trigger lease lost before its outcome was recorded", metadata: ["trigger": "\(trigger.id)"])
            }
        } catch {
            metrics.storeErrors.increment()
            logger.error(
                "cannot record a trigger's outcome; it is sent again once its lease expires",
                metadata: ["trigger": "\(trigger.id)", "error": "\(error)"]
            )
        }
    }

    func send(_ trigger: ClaimedTrigger, client: HTTPClient) async -> AttemptResult {
        let body = trigger.body()
        var request = HTTPClientRequest(url: endpoint)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Idempotency-Key", value: trigger.id)
        request.headers.add(
            name: "X-Inlet-Signature",
            value: TriggerSignature.header(body: body, secret: secret, timestamp: Int(Date().timeIntervalSince1970))
        )
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: .init(configuration.requestTimeout))
            // Read the body so the connection goes back to the pool; the head already decided.
            var received = 0
            do {
                for try await chunk in response.body {
                    received += chunk.readableBytes
                    if received > configuration.maxResponseBytes { break }
                }
            } catch {
                logger.debug("engine response body cut short", metadata: ["trigger": "\(trigger.id)", "error": "\(error)"])
            }
            if (200..<300).contains(response.status.code) { return .accepted }
            return .failed(reason: "HTTP \(response.status.code)")
        } catch {
            if Task.isCancelled { return .interrupted }
            return .failed(reason: String(String(describing: error).prefix(300)))
        }
    }

    private func record(_ verdict: AttemptVerdict, result: AttemptResult, trigger: ClaimedTrigger, now: Date) {
        switch verdict {
        case .delivered:
            metrics.delivered.increment()
            if let createdAt = trigger.createdAt {
                metrics.latency.recordNanoseconds(Int64(max(0, now.timeIntervalSince(createdAt)) * 1e9))
            }
        case .retry(let wait):
            metrics.failedAttempts.increment()
            logger.debug(
                "trigger delivery failed; will retry",
                metadata: ["trigger": "\(trigger.id)", "attempt": "\(trigger.attempts + 1)", "retryIn": "\(wait)", "error": "\(result)"]
            )
        case .dead:
            if case .failed = result { metrics.failedAttempts.increment() }
            metrics.dead.increment()
            logger.warning(
                "trigger marked dead",
                metadata: ["trigger": "\(trigger.id)", "attempts": "\(trigger.attempts + 1)", "error": "\(result)"]
            )
        case .released:
            logger.debug("trigger claim released on stop", metadata: ["trigger": "\(trigger.id)"])
        }
    }
}
