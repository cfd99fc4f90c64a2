import Foundation
import InletModel
import NIOHTTP1
import Testing

@testable import InletServer

@Suite("Answers and checks shared by the endpoints")
struct EndpointSupportTests {
    @Test("a JSON body is JSON or text/plain by its media type, in any case and with any parameters, or undeclared")
    func isJSON() {
        func check(_ value: String?) -> Bool {
            var headers = HTTPHeaders()
            if let value { headers.add(name: "Content-Type", value: value) }
            return EndpointSupport.isJSON(headers)
        }
        #expect(check(nil))
        #expect(check("application/json"))
        #expect(check("Application/Json; charset=utf-8"))
        #expect(check("text/plain;charset=UTF-8"))
        #expect(check(" TEXT/PLAIN "))
        #expect(!check("application/x-www-form-urlencoded"))
        #expect(!check("text/plainer"))
        #expect(!check(""))
    }
}

@Suite("Which earlier import a repeated Idempotency-Key replays")
struct ImportRetryTests {
    @Test("a failed or abandoned job may be retried under its key; a completed or live one is replayed")
    func mayRetry() {
        let now = Date()
        func job(_ status: String, savedSecondsAgo: TimeInterval) -> JSONObject {
            ["status": .string(status), "updatedAt": .date(now.addingTimeInterval(-savedSecondsAgo))]
        }
        #expect(ImportsEndpoint.mayRetry(job("failed", savedSecondsAgo: 1), now: now))
        #expect(!ImportsEndpoint.mayRetry(job("completed", savedSecondsAgo: 86_400), now: now))
        #expect(!ImportsEndpoint.mayRetry(job("running", savedSecondsAgo: 5), now: now))
        #expect(!ImportsEndpoint.mayRetry(job("running", savedSecondsAgo: ImportsEndpoint.abandonedAfter - 1), now: now))
        #expect(ImportsEndpoint.mayRetry(job("running", savedSecondsAgo: ImportsEndpoint.abandonedAfter + 1), now: now))
        #expect(!ImportsEndpoint.mayRetry(["status": "running"], now: now))
    }
}
