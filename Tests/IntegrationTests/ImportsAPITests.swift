import AsyncHTTPClient
import Foundation
import InletModel
import NIOCore
import NIOHTTP1
import Testing

/// CSV imports end to end: streamed uploads into the real SecantusDB.
@Suite("CSV imports API")
struct ImportsAPITests {
    static func headers(_ key: String, type: String = "text/csv", extra: [(String, String)] = []) -> [(String, String)] {
        [("authorization", "Bearer \(key)"), ("content-type", type)] + extra
    }

    static func summary(_ body: String) throws -> JSONValue {
        try JSONParser.parse(Array(body.utf8))
    }

    @Test("users: BOM, CRLF, quoted newlines and commas, typed values, row errors with line and column")
    func users() async throws {
        let inlet = try await TestInlet.start()
        defer { Task { await inlet.stop() } }
        let key = try await inlet.createKey(source: "acme-partner")
        let csv = "\u{FEFF}userId,email,age,vip,signedUp,note\r\n"
            + "u1,a@example.com,31,true,2024-05-01,\"likes, commas\"\r\n"
            + "u2,b@example.com,007,FALSE,2024-05-01T10:00:00Z,\"two\r\nlines\"\r\n"
            + ",c@example.com,1,true,2024-01-01,missing id\r\n"
            + "u4,d@example.com,5\r\n"
            + "u5,=SUM(A1),-5,true,2024-01-01,\"ok\"\r\n"
        let answer = try await inlet.send(.POST, "/v1/imports/users", body: Array(csv.utf8), headers: Self.headers(key))
        #expect(answer.status == .ok, "\(answer.body)")
        let summary = try Self.summary(answer.body)
        #expect(summary["status"] == "completed")
        #expect(summary["rowsTotal"] == 5)
        #expect(summary["rowsImported"] == 3)
        #expect(summary["rowsRejected"] == 2)
        let errors = summary["errors"]?.arrayValue ?? []
        #expect(errors.compactMap { $0["line"] } == [5, 6])
        #expect(errors.first?["column"] == "userId")

        let users = try await inlet.documents("userDetails")
        #expect(users.count == 3)
        let u1 = try #require(users.first { $0["userId"] == "u1" })
        #expect(u1["traits"]?["age"] == 31)
        #expect(u1["traits"]?["vip"] == true)
        #expect(u1["traits"]?["note"] == "likes, commas")
        if case .date = u1["traits"]?["signedUp"] {} else { Issue.record("signedUp should be a date") }
        let u2 = try #require(users.first { $0["userId"] == "u2" })
        #expect(u2["traits"]?["age"] == "007")
        #expect(u2["traits"]?["note"] == "two\r\nlines")
        let u5 = try #require(users.first { $0["userId"] == "u5" })
        #expect(u5["traits"]?["email"] == "=SUM(A1)")
        #expect(u5["traits"]?["age"] == -5)
        let attributes = try await inlet.documents("userAttributes")
        #expect(Set(attributes.compactMap { $0["name"]?.stringValue }) == ["email", "age", "vip", "signedUp", "note"])

        // An empty cell does not overwrite what is stored.
        let second = try await inlet.send(.POST, "/v1/imports/users", body: Array("userId,email,age\nu1,,32\n".utf8), headers: Self.headers(key))
        #expect(second.status == .ok)
        let again = try #require(try await inlet.documents("userDetails", ["userId": "u1"]).first)
        #expect(again["traits"]?["email"] == "a@example.com")
        #expect(again["traits"]?["age"] == 32)
    }

    @Test("users that partly exist: inserted when new, merged when stored, empty cells kept, catalog complete, no duplicates on retry")
    func usersPartlyExisting() async throws {
        let inlet = try await TestInlet.start()
        defer { Task { await inlet.stop() } }
        let key = try await inlet.createKey(source: "acme-partner")
        let before = "userId,email,plan\nu1,a@example.com,free\nu2,b@example.com,free\n"
        #expect(try await inlet.send(.POST, "/v1/imports/users", body: Array(before.utf8), headers: Self.headers(key)).status == .ok)

        // u2 and u1 exist, u3 is new; u3 twice in the same file: the later row wins.
        let csv = "userId,email,plan,city\nu2,,pro,Lyon\nu3,c@example.com,free,\nu1,a2@example.com,,Oslo\nu3,,pro,Rome\n"
        for _ in 0..<2 {
            let answer = try await inlet.send(.POST, "/v1/imports/users", body: Array(csv.utf8), headers: Self.headers(key))
            #expect(answer.status == .ok, "\(answer.body)")
            #expect(try Self.summary(answer.body)["rowsImported"] == 4)
        }
        let users = try await inlet.documents("userDetails")
        #expect(users.count == 3)
        let traits = { (id: String) in users.first { $0["userId"]?.stringValue == id }?["traits"] }
        #expect(traits("u1") == ["email": "a2@example.com", "plan": "free", "city": "Oslo"])
        #expect(traits("u2") == ["email": "b@example.com", "plan": "pro", "city": "Lyon"])
        #expect(traits("u3") == ["email": "c@example.com", "plan": "pro", "city": "Rome"])
        let attributes = try await inlet.documents("userAttributes")
        #expect(attributes.compactMap { $0["name"]?.stringValue }.sorted() == ["city", "email", "plan"])
    }

    @Test("events: properties columns, gzip, and an idempotent repeat that imports nothing again")
    func eventsGzipIdempotent() async throws {
        let inlet = try await TestInlet.start()
        defer { Task { await inlet.stop() } }
        let key = try await inlet.createKey(source: "acme-partner")
        let csv = "userId,event,timestamp,properties.total,properties.sku\n"
            + "u1,Order Completed,2024-05-01T10:00:00Z,120.5,A-1\n"
            + "u2,Order Completed,2024-05-02T10:00:00Z,80,B-2\n"
            + "u3,Order Completed,not-a-date,1,C\n"
        let body = try gzip(Array(csv.utf8))
        let headers = Self.headers(key, extra: [("content-encoding", "gzip"), ("idempotency-key", "upload-1")])
        let first = try await inlet.send(.POST, "/v1/imports/events", body: body, headers: headers)
        #expect(first.status == .ok, "\(first.body)")
        let summary = try Self.summary(first.body)
        #expect(summary["rowsImported"] == 2)
        #expect(summary["errors"]?.arrayValue?.first?["column"] == "timestamp")

        let repeatAnswer = try await inlet.send(.POST, "/v1/imports/events", body: body, headers: headers)
        #expect(repeatAnswer.status == .ok)
        #expect(try Self.summary(repeatAnswer.body)["importId"] == summary["importId"])
        #expect(try await inlet.documents("imports").count == 1)
        let events = try await inlet.documents("events")
        #expect(events.count == 2)
        let order = try #require(events.first { $0["userId"] == "u1" })
        #expect(order["properties"]?["total"] == 120.5)
        #expect(order["properties"]?["sku"] == "A-1")
        #expect(order["type"] == "track")

        let status = try await inlet.send(.GET, "/v1/imports/\(summary["importId"]?.stringValue ?? "")", headers: [("authorization", "Bearer \(key)")])
        #expect(status.status == .ok)
        #expect(try Self.summary(status.body)["status"] == "completed")
    }

    @Test("imported events fire campaign triggers like SDK events, once per event however often the file is sent")
    func eventsFireTriggers() async throws {
        let routes = TestInlet.defaultRoutes + """

            triggers:
              - id: big-order
                when: { type: track, event: Order Completed, where: { properties.total: { gte: 100 } } }
                campaign: cmp_csv
            """
        let inlet = try await TestInlet.start(routes: routes)
        defer { Task { await inlet.stop() } }
        let key = try await inlet.createKey(source: "acme-partner")
        let csv = "userId,event,timestamp,messageId,properties.total\n"
            + "u1,Order Completed,2024-05-01T10:00:00Z,m-big,150\n"
            + "u2,Order Completed,2024-05-02T10:00:00Z,m-small,20\n"
            + "u3,Signed Up,2024-05-02T10:00:00Z,m-other,500\n"
        // No Idempotency-Key: the second upload imports again, and finds every event stored.
        for _ in 0..<2 {
            let answer = try await inlet.send(.POST, "/v1/imports/events", body: Array(csv.utf8), headers: Self.headers(key))
            #expect(answer.status == .ok, "\(answer.body)")
            #expect(try Self.summary(answer.body)["rowsImported"] == 3)
        }
        #expect(try await inlet.documents("events").count == 3)
        let triggers = try await inlet.documents("triggers")
        #expect(triggers.count == 1)
        let trigger = try #require(triggers.first)
        #expect(trigger["_id"] == .string("\(inlet.tenant):big-order:m-big"))
        #expect(trigger["campaign"] == "cmp_csv")
        #expect(trigger["status"] == "pending")
        #expect(trigger["event"]?["userId"] == "u1")
        #expect(trigger["event"]?["properties"]?["total"] == 150)
    }

    @Test("a file of many bad rows reports the first 100 errors and counts them all")
    func errorListIsCapped() async throws {
        let inlet = try await TestInlet.start()
        defer { Task { await inlet.stop() } }
        let key = try await inlet.createKey(source: "acme-partner")
        let csv = "userId,event,timestamp\n" + (1...150).map { "u\($0),E,not-a-date\n" }.joined() + "u-ok,E,2024-05-01T10:00:00Z\n"
        let answer = try await inlet.send(.POST, "/v1/imports/events", body: Array(csv.utf8), headers: Self.headers(key))
        #expect(answer.status == .ok, "\(answer.body)")
        let summary = try Self.summary(answer.body)
        #expect(summary["rowsTotal"] == 151)
        #expect(summary["rowsRejected"] == 150)
        #expect(summary["rowsImported"] == 1)
        let errors = summary["errors"]?.arrayValue ?? []
        #expect(errors.count == 100)
        #expect(errors.first?["line"] == 2)
        #expect(errors.last?["line"] == 101)
        #expect(try await inlet.documents("events").count == 1)
    }

    @Test("multipart/form-data with one file part")
    func multipart() async throws {
        let inlet = try await TestInlet.start()
        defer { Task { await inlet.stop() } }
        let key = try await inlet.createKey(source: "acme-partner")
        let boundary = "----inletboundary7MA4YWxk"
        let body = "--\(boundary)\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n"
            + "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../../etc/passwd\"\r\nContent-Type: text/csv\r\n\r\n"
            + "userId,plan\nu1,pro\nu2,free\n\r\n--\(boundary)--\r\n"
        let answer = try await inlet.send(.POST, "/v1/imports/users", body: Array(body.utf8),
                                          headers: Self.headers(key, type: "multipart/form-data; boundary=\(boundary)"))
        #expect(answer.status == .ok, "\(answer.body)")
        #expect(try Self.summary(answer.body)["rowsImported"] == 2)
        #expect(try await inlet.documents("userDetails").count == 2)
    }

    @Test("bad requests: wrong key, wrong content type, a header without userId, an unterminated quote")
    func badRequests() async throws {
        let inlet = try await TestInlet.start()
        defer { Task { await inlet.stop() } }
        let key = try await inlet.createKey(source: "acme-partner")
        let eventsKey = try await inlet.createKey(source: "acme-web")
        #expect(try await inlet.send(.POST, "/v1/imports/users", body: Array("userId\nu1\n".utf8), headers: Self.headers(eventsKey)).status == .unauthorized)
        #expect(try await inlet.send(.POST, "/v1/imports/users", body: Array("userId\nu1\n".utf8), headers: Self.headers(key, type: "application/json")).status == .unsupportedMediaType)
        let noId = try await inlet.send(.POST, "/v1/imports/users", body: Array("email\na@example.com\n".utf8), headers: Self.headers(key))
        #expect(noId.status == .badRequest)
        #expect(noId.body.contains("userId"))
        let unterminated = try await inlet.send(.POST, "/v1/imports/users", body: Array("userId,note\nu1,ok\nu2,\"never closed\nu3,x\n".utf8), headers: Self.headers(key))
        #expect(unterminated.status == .ok)
        let summary = try Self.summary(unterminated.body)
        #expect(summary["rowsImported"] == 1)
        #expect(summary["rowsRejected"] == 1)
        #expect(try await inlet.documents("userDetails").count == 1)
    }

    @Test("a slow upload can be polled while it runs; a client that disconnects leaves the job failed with its rows counted")
    func pollingAndDisconnect() async throws {
        let inlet = try await TestInlet.start()
        defer { Task { await inlet.stop() } }
        let key = try await inlet.createKey(source: "acme-partner")
        let client = try await RawTLSClient.connect(port: inlet.port, group: inlet.client.eventLoopGroup)
        try await client.send("POST /v1/imports/users HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(key)\r\n"
            + "Content-Type: text/csv\r\nIdempotency-Key: slow-1\r\nTransfer-Encoding: chunked\r\n\r\n")
        func chunk(_ text: String) -> String { String(text.utf8.count, radix: 16) + "\r\n" + text + "\r\n" }
        var rows = "userId,plan\n"
        for index in 0..<1_200 { rows += "u\(index),pro\n" }
        try await client.send(chunk(rows))

        var running: JSONValue?
        for _ in 0..<100 {
            let status = try await inlet.send(.GET, "/v1/imports/slow-1", headers: [("authorization", "Bearer \(key)")])
            if status.status == .ok, let summary = try? Self.summary(status.body), summary["rowsImported"]?.numberValue ?? 0 > 0 {
                running = summary
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(running?["status"] == "running")

        await client.close()
        var final: JSONValue?
        for _ in 0..<100 {
            let status = try await inlet.send(.GET, "/v1/imports/slow-1", headers: [("authorization", "Bearer \(key)")])
            if let summary = try? Self.summary(status.body), summary["status"] == "failed" {
                final = summary
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let failed = try #require(final)
        // Two full batches of 500 writes were confirmed before the disconnect (the first row also
        // wrote the `plan` catalog entry); the rows still buffered were never acknowledged.
        #expect(failed["rowsImported"]?.numberValue ?? 0 >= 900)
        #expect(try await inlet.documents("userDetails").count == Int(failed["rowsImported"]?.numberValue ?? -1))

        // The failed job is no result to replay: the same key imports the whole file again, the
        // rows already stored are found stored, and the failed job stays on record without the key.
        let retry = try await inlet.send(.POST, "/v1/imports/users", body: Array(rows.utf8), headers: Self.headers(key, extra: [("idempotency-key", "slow-1")]))
        #expect(retry.status == .ok, "\(retry.body)")
        #expect(retry.headers.first(name: "idempotent-replayed") == nil)
        let completed = try Self.summary(retry.body)
        #expect(completed["status"] == "completed")
        #expect(completed["rowsImported"] == 1_200)
        #expect(completed["importId"] != failed["importId"])
        #expect(try await inlet.documents("userDetails").count == 1_200)
        let jobs = try await inlet.documents("imports")
        #expect(jobs.count == 2)
        #expect(jobs.first { $0["_id"] == failed["importId"] }?["retriedIdempotencyKey"] == "slow-1")
        let polled = try await inlet.send(.GET, "/v1/imports/slow-1", headers: [("authorization", "Bearer \(key)")])
        #expect(try Self.summary(polled.body)["status"] == "completed")
        // A completed job is the result: the next repeat replays it.
        let replay = try await inlet.send(.POST, "/v1/imports/users", body: Array(rows.utf8), headers: Self.headers(key, extra: [("idempotency-key", "slow-1")]))
        #expect(replay.headers.first(name: "idempotent-replayed") == "true")
        #expect(try Self.summary(replay.body)["importId"] == completed["importId"])
    }
}
