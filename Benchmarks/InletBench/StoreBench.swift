import ArgumentParser
import CMongoc
import Foundation
import InletModel
import MongoStore
import Normalize

/// `inlet-bench store`: how close inlet's group commit comes to what MongoDB (here SecantusDB)
/// takes at best. (a) the ceiling: one thread, plain libmongoc, pre-encoded ~300-byte events in
/// unordered bulks of 1,000; (b) inlet: the same events, one per `submit`, from many concurrent
/// submitters, encoding included. Both into a fresh database with the same unique index.
struct StoreBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Group-commit throughput of MongoStore against a plain libmongoc bulk-insert loop."
    )

    @Option(help: "MongoDB URL without a database.")
    var url = "mongodb://127.0.0.1:27117"

    @Option(help: "Documents per run.")
    var count = 20_000

    @Option(help: "Concurrent submitters for inlet's run.")
    var submitters = 64

    @Option(help: "Documents per bulk write in the ceiling run.")
    var batch = 1_000

    @Option(help: "A Segment track body (JSON file): both runs store what inlet makes of it, with a random messageId each, instead of the built-in ~300-byte event.")
    var eventBody: String?

    @Flag(help: "Ceiling run: one insert command per batch, its documents in one array, instead of libmongoc's bulk API.")
    var command = false

    @Flag(help: "Measure the ceiling only (to measure it again in the server's state of the moment).")
    var ceilingOnly = false

    func run() async throws {
        let suffix = String(UInt32.random(in: .min ... .max), radix: 36)
        // SecantusDB takes longer than the store's default 5 s socket timeout to drop a database
        // of a long run's documents (`--duration 30` failed there); the measured inserts are the same.
        let rawURL = "\(url)/bench_raw_\(suffix)?socketTimeoutMS=120000"
        let storeURL = "\(url)/bench_store_\(suffix)?socketTimeoutMS=120000"

        let rawSchema = try MongoStore(url: rawURL)
        try await rawSchema.ensureSchema()
        let (ceiling, ceilingCPU) = try rawCeiling(url: rawURL)
        _ = try await rawSchema.runCommand(["dropDatabase": 1])
        try await rawSchema.shutdown()
        if ceilingOnly {
            print(String(format: "store ceiling (libmongoc, 1 thread, bulks of %d): %.0f docs/s", batch, ceiling))
            print(String(format: "store ceiling client CPU: %.2f µs/doc", ceilingCPU))
            return
        }

        let store = try MongoStore(url: storeURL)
        try await store.ensureSchema()
        let inlet = try await storeThroughput(store)
        _ = try await store.runCommand(["dropDatabase": 1])
        try await store.shutdown()

        print(String(format: "store ceiling (libmongoc, 1 thread, bulks of %d): %.0f docs/s", batch, ceiling))
        print(String(format: "store ceiling client CPU: %.2f µs/doc", ceilingCPU))
        print(String(format: "store inlet (MongoStore.submit, %d submitters, 1 doc each): %.0f docs/s", submitters, inlet))
        print(String(format: "store ratio inlet/ceiling: %.2f", inlet / ceiling))
    }

    static func event(_ index: Int) -> JSONObject {
        [
            "tenantId": "acme", "sourceId": "acme-web", "messageId": .string("msg-\(index)-0123456789abcdef"),
            "type": "track", "event": "Order Completed", "userId": .string("user-\(index % 997)"),
            "properties": ["orderId": .string("o-\(index)"), "total": 129.5, "currency": "EUR", "coupon": nil],
            "context": ["ip": "203.0.113.7", "library": ["name": "analytics.js", "version": "5.2.0"]],
            "timestamp": .date(Date(timeIntervalSince1970: 1_700_000_000)), "receivedAt": .date(Date()),
        ]
    }

    /// Event documents as JSON text for libbson: the ceiling run encodes them before timing.
    static func eventJSON(_ index: Int) -> String {
        """
        {"tenantId":"acme","sourceId":"acme-web","messageId":"msg-\(index)-0123456789abcdef","type":"track",\
        "event":"Order Completed","userId":"user-\(index % 997)","properties":{"orderId":"o-\(index)","total":129.5,\
        "currency":"EUR","coupon":null},"context":{"ip":"203.0.113.7","library":{"name":"analytics.js","version":"5.2.0"}},\
        "timestamp":{"$date":1700000000000},"receivedAt":{"$date":1700000000000}}
        """
    }

    /// Documents per second, and the client thread's CPU µs per document (libmongoc's own share of
    /// what storing an event costs inlet, the floor under any event path).
    func rawCeiling(url: String) throws -> (Double, Double) {
        mongoc_init()
        var error = bson_error_t()
        guard let uri = mongoc_uri_new_with_error(url, &error), let client = mongoc_client_new_from_uri(uri) else {
            throw ValidationError("cannot connect to \(self.url)")
        }
        defer {
            mongoc_client_destroy(client)
            mongoc_uri_destroy(uri)
        }
        let database = String(cString: mongoc_uri_get_database(uri))
        let collection = mongoc_client_get_collection(client, database, Collections.events)
        defer { mongoc_collection_destroy(collection) }
        let template = try normalizedTemplate()
        let documents: [OpaquePointer] = (0..<count).compactMap { index in
            let json = template.map { Self.extendedJSON(.object(Self.withMessageId($0, index))) } ?? Self.eventJSON(index)
            return bson_new_from_json(json, json.utf8.count, &error)
        }
        defer { documents.forEach { bson_destroy($0) } }
        let options = bson_new_from_json("{\"ordered\":false}", -1, &error)
        defer { bson_destroy(options) }

        let clock = ContinuousClock()
        let started = clock.now
        let cpuStarted = Self.threadCPUSeconds()
        var start = 0
        while start < documents.count {
            if command {
                let insert = bson_new()!
                _ = bson_append_utf8(insert, "insert", -1, Collections.events, -1)
                _ = bson_append_bool(insert, "ordered", -1, false)
                let array = bson_new()!
                _ = bson_append_array_begin(insert, "documents", -1, array)
                for (index, document) in documents[start..<min(start + batch, documents.count)].enumerated() {
                    _ = bson_append_document(array, String(index), -1, document)
                }
                _ = bson_append_array_end(insert, array)
                let reply = bson_new()
                if !mongoc_collection_write_command_with_opts(collection, insert, nil, reply, &error) {
                    print("command failed: \(MongoBenchError.text(error))")
                }
                bson_destroy(reply)
                bson_destroy(array)
                bson_destroy(insert)
                start += batch
                continue
            }
            let bulk = mongoc_collection_create_bulk_operation_with_opts(collection, options)
            for document in documents[start..<min(start + batch, documents.count)] {
                _ = mongoc_bulk_operation_insert_with_opts(bulk, document, nil, &error)
            }
            let reply = bson_new()
            _ = mongoc_bulk_operation_execute(bulk, reply, &error)
            bson_destroy(reply)
            mongoc_bulk_operation_destroy(bulk)
            start += batch
        }
        let cpu = Self.threadCPUSeconds() - cpuStarted
        return (Double(documents.count) / Self.seconds(clock.now - started), cpu * 1e6 / Double(documents.count))
    }

    static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    func storeThroughput(_ store: MongoStore) async throws -> Double {
        let template = try normalizedTemplate()
        let clock = ContinuousClock()
        let started = clock.now
        let failures = await withTaskGroup(of: Int.self) { group in
            for submitter in 0..<submitters {
                group.addTask { [count, submitters] in
                    var failures = 0
                    for index in stride(from: submitter, to: count, by: submitters) {
                        let document = template.map { Self.withMessageId($0, index) } ?? Self.event(index)
                        let outcome = await store.submit([.insert(Collections.events, document)])
                        if outcome.first?.isDurable != true { failures += 1 }
                    }
                    return failures
                }
            }
            return await group.reduce(0, +)
        }
        let elapsed = clock.now - started
        if failures > 0 { print("store inlet: \(failures) writes failed") }
        return Double(count) / Self.seconds(elapsed)
    }

    /// The `events` document inlet stores for `--event-body`, or nil for the built-in event.
    func normalizedTemplate() throws -> JSONObject? {
        guard let eventBody else { return nil }
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: eventBody)))
        let context = EventContext(tenantId: "acme", sourceId: "acme-web", receivedAt: Date(), clientIP: "127.0.0.1")
        let batch = try SegmentNormalizer.normalize(tape: try JSONParser.tape(bytes), endpoint: SegmentEndpoint(pathComponent: "track")!,
                                                    context: context)
        guard let event = batch.accepted.first else {
            throw ValidationError("\(eventBody) is not a valid track event")
        }
        return event.document
    }

    /// The template with a new random (version 4) `messageId`, as inlet generates for an event
    /// without one and as the SDKs send theirs. Random keys land all over the unique index, which
    /// costs the server more than ids counting up would; the ceiling must pay what inlet's writes pay.
    static func withMessageId(_ template: JSONObject, _ index: Int) -> JSONObject {
        var document = template
        document["messageId"] = .string(MessageID.generate())
        return document
    }

    /// libbson's extended JSON: dates as `{"$date": milliseconds}`, the rest as plain JSON.
    static func extendedJSON(_ value: JSONValue) -> String {
        switch value {
        case .date(let date):
            return #"{"$date":\#(Int64((date.timeIntervalSince1970 * 1000).rounded()))}"#
        case .object(let object):
            return "{" + object.map { key, value in
                String(decoding: JSONValue.string(key).jsonBytes(), as: UTF8.self) + ":" + extendedJSON(value)
            }.joined(separator: ",") + "}"
        case .array(let elements):
            return "[" + elements.map(extendedJSON).joined(separator: ",") + "]"
        default:
            return String(decoding: value.jsonBytes(), as: UTF8.self)
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

enum MongoBenchError {
    static func text(_ error: bson_error_t) -> String {
        var error = error
        return withUnsafeBytes(of: &error.message) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
    }
}
