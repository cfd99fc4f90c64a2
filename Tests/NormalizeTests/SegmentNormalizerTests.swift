import Foundation
import InletModel
import Normalize
import Testing

@Suite struct SegmentNormalizerTests {
    /// analytics.js (AJS 2.0) posts one event per request, `writeKey` and `sentAt` in the body.
    static let analyticsJSTrack = #"""
        {"timestamp":"2024-01-02T03:04:05.678Z","integrations":{"Segment.io":true},"type":"track",
         "properties":{"total":120.5,"currency":"EUR"},"event":"Order Completed",
         "context":{"page":{"path":"/checkout","url":"https://shop.example/checkout"},"userAgent":"Mozilla/5.0",
                    "locale":"en-US","library":{"name":"analytics.js","version":"next-1.64.0"}},
         "messageId":"ajs-next-2f1c0ad6b1c7e0f8d9a3","anonymousId":"5f1f7f0e-1c2b-4b0a-9a5e-6f0b2c3d4e5f",
         "writeKey":"wk_browser","userId":null,"sentAt":"2024-01-02T03:04:06.678Z",
         "_metadata":{"bundled":["Segment.io"],"unbundled":[],"bundledIds":[]}}
        """#

    /// analytics-node (`@segment/analytics-node`) batches to `/v1/batch` with `sentAt` and
    /// `writeKey` on the envelope.
    static let analyticsNodeBatch = #"""
        {"batch":[
          {"type":"identify","userId":"u-1","traits":{"email":"ada@example.com","plan":"pro","logins":3},
           "context":{"library":{"name":"@segment/analytics-node","version":"2.1.2"}},
           "_metadata":{"nodeVersion":"20.11.0","jsRuntime":"node"},"integrations":{},
           "messageId":"node-next-1704164645000-aa11","timestamp":"2024-01-02T03:04:05.000Z"},
          {"type":"track","event":"Signed Up","userId":"u-1","properties":{"referrer":"ad"},
           "context":{"library":{"name":"@segment/analytics-node","version":"2.1.2"}},
           "_metadata":{"nodeVersion":"20.11.0","jsRuntime":"node"},"integrations":{},
           "messageId":"node-next-1704164645001-bb22","timestamp":"2024-01-02T03:04:05.500Z"},
          {"type":"group","groupId":"g-9","userId":"u-1","traits":{"name":"Initech"},
           "context":{"library":{"name":"@segment/analytics-node","version":"2.1.2"}},
           "messageId":"node-next-1704164645002-cc33","timestamp":"2024-01-02T03:04:05.600Z"},
          {"type":"alias","previousId":"anon-7","userId":"u-1",
           "messageId":"node-next-1704164645003-dd44","timestamp":"2024-01-02T03:04:05.700Z"}
        ],"writeKey":"wk_node","sentAt":"2024-01-02T03:04:06.000Z"}
        """#

    /// analytics-python sends `null` for the id it lacks, microseconds and `+00:00` offsets,
    /// and authenticates with Basic auth (no `writeKey` in the body).
    static let analyticsPythonBatch = #"""
        {"batch": [{"integrations": {}, "anonymousId": null, "properties": {"title": "Pricing"},
                    "timestamp": "2024-01-02T03:04:05.678901+00:00",
                    "context": {"library": {"name": "analytics-python", "version": "2.3.2"}},
                    "userId": "u-2", "type": "page", "name": "Pricing", "category": "Docs",
                    "messageId": "1c1bd5a0-6b3c-4c6e-9d0e-2b8f3c4d5e6f"},
                   {"integrations": {}, "anonymousId": "anon-3", "properties": {},
                    "timestamp": "2024-01-02T08:34:05.678901+05:30",
                    "context": {"library": {"name": "analytics-python", "version": "2.3.2"}},
                    "userId": null, "type": "screen", "name": "Home",
                    "messageId": "2c1bd5a0-6b3c-4c6e-9d0e-2b8f3c4d5e6f"}],
         "sentAt": "2024-01-02T03:04:06.678901+00:00"}
        """#

    @Test func analyticsJSTrackBecomesTheDocumentWeStore() throws {
        let batch = try SegmentFixture.normalize(Self.analyticsJSTrack, .track)
        #expect(batch.rejected.isEmpty)
        #expect(batch.writeKey == "wk_browser")
        let event = try #require(batch.accepted.first)
        #expect(event.index == 0)
        #expect(event.messageId == "ajs-next-2f1c0ad6b1c7e0f8d9a3")
        // The client clock ran one second ahead of sentAt's arrival: timestamp = receivedAt - 1 s.
        #expect(JSONValue.object(event.document).jsonString() == #"""
            {"tenantId":"acme","sourceId":"acme-web","messageId":"ajs-next-2f1c0ad6b1c7e0f8d9a3","type":"track",\#
            "event":"Order Completed","anonymousId":"5f1f7f0e-1c2b-4b0a-9a5e-6f0b2c3d4e5f",\#
            "properties":{"total":120.5,"currency":"EUR"},\#
            "context":{"page":{"path":"/checkout","url":"https://shop.example/checkout"},"userAgent":"Mozilla/5.0",\#
            "locale":"en-US","library":{"name":"analytics.js","version":"next-1.64.0"},"ip":"203.0.113.7"},\#
            "integrations":{"Segment.io":true},"timestamp":"2024-01-02T03:00:09.000Z",\#
            "originalTimestamp":"2024-01-02T03:04:05.678Z","sentAt":"2024-01-02T03:04:06.678Z",\#
            "receivedAt":"2024-01-02T03:00:10.000Z","_metadata":{"bundled":["Segment.io"],"unbundled":[],"bundledIds":[]}}
            """#)
        #expect(event.writes == [.insert(Collections.events, bson: event.bson)])
    }

    @Test func analyticsNodeBatchAcceptsEveryCallType() throws {
        let batch = try SegmentFixture.normalize(Self.analyticsNodeBatch, .batch)
        #expect(batch.rejected == [])
        #expect(batch.writeKey == "wk_node")
        #expect(batch.accepted.map(\.index) == [0, 1, 2, 3])
        #expect(batch.accepted.map { $0.document["type"] } == ["identify", "track", "group", "alias"])
        #expect(batch.accepted[2].document["groupId"] == "g-9")
        #expect(batch.accepted[3].document["previousId"] == "anon-7")
        // Batch sentAt applies to each event: 03:04:06 sent, 03:04:05.5 happened, 0.5 s before receipt.
        #expect(batch.accepted[1].document["timestamp"] == .date(SegmentFixture.receivedAt.addingTimeInterval(-0.5)))
        #expect(batch.accepted[1].document["sentAt"] == .date(try #require(SegmentFixture.date("2024-01-02T03:04:06Z"))))
        #expect(batch.accepted[0].document["writeKey"] == nil)
    }

    @Test func identifyAlsoWritesTheUserProfile() throws {
        let batch = try SegmentFixture.normalize(Self.analyticsNodeBatch, .batch)
        let identify = try #require(batch.accepted.first)
        let traits = try #require(identify.document["traits"]?.objectValue)
        let profile = UserProfileWrites.make(
            tenantId: "acme", sourceId: "acme-web", userId: "u-1", traits: traits, seenAt: SegmentFixture.receivedAt)
        #expect(identify.writes == [.insert(Collections.events, bson: identify.bson)] + profile)
        #expect(identify.writes.count == 5)
        // group carries traits too, but only identify describes a user.
        #expect(batch.accepted[2].writes.count == 1)
    }

    @Test func analyticsPythonBatchWithNullIdsAndOffsets() throws {
        let batch = try SegmentFixture.normalize(Self.analyticsPythonBatch, .import)
        #expect(batch.rejected == [])
        #expect(batch.writeKey == nil)
        let page = batch.accepted[0].document
        #expect(page["type"] == "page")
        #expect(page["name"] == "Pricing")
        #expect(page["category"] == "Docs")
        #expect(page["anonymousId"] == nil)
        let screen = batch.accepted[1].document
        #expect(screen["userId"] == nil)
        #expect(screen["anonymousId"] == "anon-3")
        // +05:30 local time is the same instant as the page's UTC timestamp.
        #expect(screen["originalTimestamp"] == page["originalTimestamp"])
        #expect(screen["timestamp"] == .date(SegmentFixture.receivedAt.addingTimeInterval(-1)))
    }

    @Test(arguments: [
        (SegmentEndpoint.track, #"{"userId":"u","event":"E","type":"identify"}"#, "track"),
        (.identify, #"{"userId":"u","traits":{"a":1}}"#, "identify"),
        (.page, #"{"anonymousId":"a","name":"Home","type":"track"}"#, "page"),
        (.page, #"{"anonymousId":"a"}"#, "page"),
        (.screen, #"{"anonymousId":"a","name":"Settings"}"#, "screen"),
        (.group, #"{"userId":"u","groupId":"g","traits":{"name":"Initech"}}"#, "group"),
        (.alias, #"{"userId":"u","previousId":"p"}"#, "alias"),
    ])
    func singleEndpointsForceTheirType(_ endpoint: SegmentEndpoint, _ body: String, _ type: String) throws {
        let batch = try SegmentFixture.normalize(body, endpoint)
        #expect(batch.rejected == [])
        #expect(batch.accepted.first?.document["type"] == .string(type))
    }

    @Test func aBatchMixingGoodAndBadEventsRejectsOnlyTheBadOnes() throws {
        let big = String(repeating: "x", count: 33 * 1024)
        let body = """
            {"batch":[
              {"type":"track","userId":"u","event":"Good"},
              {"type":"track","userId":"u"},
              {"type":"track","event":"NoIds"},
              {"type":"launch","userId":"u"},
              "not an object",
              {"type":"track","userId":"u","event":"E","properties":[1]},
              {"type":"track","userId":"u","event":"E","timestamp":"yesterday"},
              {"type":"track","userId":"u","event":"E","properties":{"blob":"\(big)"}},
              {"type":"group","userId":"u"},
              {"type":"alias","userId":"u"},
              {"type":"alias","previousId":"p","anonymousId":"a"},
              {"type":"track","userId":true,"event":"E"},
              {"type":"track","userId":"","anonymousId":"","event":"E"},
              {"type":"track","userId":"u","event":""},
              {"type":"page","anonymousId":"a","name":7},
              {"type":"track","userId":"u","event":"E","timestamp":1704164645},
              {"userId":"u","event":"NoType"},
              {"type":"identify","userId":"u2"}
            ]}
            """
        let batch = try SegmentFixture.normalize(body, .batch)
        #expect(batch.accepted.map(\.index) == [0, 17])
        #expect(batch.rejected.map(\.index) == Array(1...16))
        #expect(batch.rejected.map(\.code) == [
            "missing_event", "missing_id", "invalid_type", "invalid_event", "invalid_field", "invalid_timestamp",
            "too_large", "missing_field", "missing_field", "missing_id", "invalid_field", "missing_id",
            "missing_event", "invalid_field", "invalid_timestamp", "invalid_type",
        ])
        #expect(batch.rejected.allSatisfy { !$0.message.isEmpty })
        // identify without traits stores the event and marks the user seen, with no trait and no catalog entry.
        let identifyWrites = batch.accepted[1].writes
        #expect(identifyWrites.count == 2)
        guard identifyWrites.count == 2, case .upsert(let filter, let update) = identifyWrites[1].kind else {
            Issue.record("expected the user's upsert after the event: \(identifyWrites)")
            return
        }
        #expect(identifyWrites[1].collection == "userDetails")
        #expect(filter["userId"] == "u2")
        #expect(update["$set"] == ["sourceId": .string(SegmentFixture.context.sourceId)])
        #expect(update["$max"] == ["lastSeenAt": .date(SegmentFixture.receivedAt)])
        #expect(update["$setOnInsert"] == ["firstSeenAt": .date(SegmentFixture.receivedAt)])
    }

    @Test func skewCorrectionUsesTheClientsOwnClock() throws {
        // The client's clock is 4 min 50 s ahead: it says it sent at 03:05:00 what inlet received
        // at 03:00:10; the event happened 60 s before sending, so at 02:59:10 by inlet's clock.
        let body = #"{"userId":"u","event":"E","timestamp":"2024-01-02T03:04:00Z","sentAt":"2024-01-02T03:05:00Z"}"#
        let document = try #require(try SegmentFixture.normalize(body, .track).accepted.first?.document)
        #expect(document["timestamp"] == .date(try #require(SegmentFixture.date("2024-01-02T02:59:10Z"))))
        #expect(document["originalTimestamp"] == .date(try #require(SegmentFixture.date("2024-01-02T03:04:00Z"))))
        #expect(document["sentAt"] == .date(try #require(SegmentFixture.date("2024-01-02T03:05:00Z"))))
        #expect(document["receivedAt"] == .date(SegmentFixture.receivedAt))
    }

    @Test func eventSentAtWinsOverTheBatchSentAt() throws {
        let body = #"""
            {"sentAt":"2024-01-02T03:10:00Z","batch":[
              {"type":"track","userId":"u","event":"E","timestamp":"2024-01-02T03:04:00Z","sentAt":"2024-01-02T03:05:00Z"}]}
            """#
        let document = try #require(try SegmentFixture.normalize(body, .batch).accepted.first?.document)
        #expect(document["timestamp"] == .date(try #require(SegmentFixture.date("2024-01-02T02:59:10Z"))))
    }

    @Test func timestampWithoutSentAtIsKeptAndMissingTimestampIsReceivedAt() throws {
        let body = #"{"batch":[{"type":"track","userId":"u","event":"E","timestamp":"2023-12-31T23:00:00Z"},{"type":"track","userId":"u","event":"E"}]}"#
        let batch = try SegmentFixture.normalize(body, .batch)
        let past = try #require(SegmentFixture.date("2023-12-31T23:00:00Z"))
        #expect(batch.accepted[0].document["timestamp"] == .date(past))
        #expect(batch.accepted[0].document["originalTimestamp"] == .date(past))
        #expect(batch.accepted[1].document["timestamp"] == .date(SegmentFixture.receivedAt))
        #expect(batch.accepted[1].document["originalTimestamp"] == nil)
        #expect(batch.accepted[1].document["sentAt"] == nil)
    }

    @Test func messageIdIsGeneratedWhenAbsentAndKeptOtherwise() throws {
        let body = #"{"batch":[{"type":"track","userId":"u","event":"E"},{"type":"track","userId":"u","event":"E","messageId":null},{"type":"track","userId":"u","event":"E","messageId":12345}]}"#
        let batch = try SegmentFixture.normalize(body, .batch)
        let generated = batch.accepted[0].messageId
        #expect(generated.utf8.count == 36)
        #expect(generated.split(separator: "-").map(\.count) == [8, 4, 4, 4, 12])
        #expect(generated.dropFirst(14).first == "4")
        #expect(generated == generated.lowercased())
        #expect(batch.accepted[0].document["messageId"] == .string(generated))
        #expect(batch.accepted[1].messageId != generated)
        #expect(batch.accepted[2].messageId == "12345")
    }

    /// The id is read back from the event's document, where it was written once.
    @Test func messageIdsWithEscapesOrAtTheLimitAreKeptAsSent() throws {
        let atLimit = String(repeating: "m", count: 256)
        let body = #"{"batch":[{"type":"track","userId":"u","event":"E","messageId":"caf\u00e9-\"q\"\u0000"},"# +
            #"{"type":"track","userId":"u","event":"E","messageId":"\#(atLimit)"},{"type":"track","userId":"u","event":"E","messageId":-7}]}"#
        let batch = try SegmentFixture.normalize(body, .batch)
        #expect(batch.rejected == [])
        #expect(batch.accepted.map(\.messageId) == ["café-\"q\"\u{0}", atLimit, "-7"])
        #expect(batch.accepted.map { $0.document["messageId"] } == batch.accepted.map { .string($0.messageId) })
    }

    @Test func everyEventTypeIsReadFromItsBytes() throws {
        for type in SegmentEventType.allCases {
            let body = #"{"batch":[{"type":"\#(type.rawValue)","userId":"u","event":"E","groupId":"g","previousId":"p"}]}"#
            #expect(try SegmentFixture.normalize(body, .batch).accepted.first?.document["type"] == .string(type.rawValue))
        }
        for near in ["Track", "trac", "tracks", "", #"identify\u0000"#] {
            let body = #"{"batch":[{"type":"\#(near)","userId":"u","event":"E"}]}"#
            #expect(try SegmentFixture.normalize(body, .batch).rejected.map(\.code) == ["invalid_type"], "\(near)")
        }
    }

    @Test func overlongMessageIdIsRejected() throws {
        let body = "{\"userId\":\"u\",\"event\":\"E\",\"messageId\":\"\(String(repeating: "m", count: 300))\"}"
        let batch = try SegmentFixture.normalize(body, .track)
        #expect(batch.rejected.map(\.code) == ["invalid_field"])
    }

    @Test func numericIdsBecomeStrings() throws {
        let body = #"{"batch":[{"type":"track","userId":42,"event":"E"},{"type":"group","anonymousId":7.0,"groupId":1.5}]}"#
        let batch = try SegmentFixture.normalize(body, .batch)
        #expect(batch.accepted[0].document["userId"] == "42")
        #expect(batch.accepted[1].document["anonymousId"] == "7")
        #expect(batch.accepted[1].document["groupId"] == "1.5")
    }

    @Test func batchContextMergesUnderTheEventsOwnContext() throws {
        let body = #"""
            {"context":{"library":{"name":"analytics-ios","version":"4.1.8"},"device":{"model":"iPhone15,2"},"ip":"198.51.100.1"},
             "batch":[{"type":"screen","anonymousId":"a","name":"Home","context":{"library":{"name":"custom","version":"1"},"locale":"fr-FR"}},
                      {"type":"screen","anonymousId":"a","name":"Home"}]}
            """#
        let batch = try SegmentFixture.normalize(body, .batch)
        #expect(batch.accepted[0].document["context"] == [
            "library": ["name": "custom", "version": "1"], "device": ["model": "iPhone15,2"], "ip": "198.51.100.1",
            "locale": "fr-FR",
        ])
        #expect(batch.accepted[1].document["context"]?["library"]?["name"] == "analytics-ios")
    }

    @Test func contextIPComesFromTheConnectionOnlyWhenAbsent() throws {
        let body = #"{"batch":[{"type":"track","userId":"u","event":"E"},{"type":"track","userId":"u","event":"E","context":{"ip":"192.0.2.1"}}]}"#
        let batch = try SegmentFixture.normalize(body, .batch)
        #expect(batch.accepted[0].document["context"] == ["ip": "203.0.113.7"])
        #expect(batch.accepted[1].document["context"] == ["ip": "192.0.2.1"])
        let noClient = EventContext(tenantId: "t", sourceId: "s", receivedAt: SegmentFixture.receivedAt)
        let bare = try SegmentNormalizer.normalize(
            tape: JSONParser.tape(Array(#"{"userId":"u","event":"E"}"#.utf8)), endpoint: .track, context: noClient)
        #expect(bare.accepted.first?.document["context"] == nil)
    }

    @Test func clientsCannotSetReservedOrOperatorFields() throws {
        let body = #"{"userId":"u","event":"E","_id":"mine","tenantId":"other","sourceId":"other","receivedAt":"2000-01-01T00:00:00Z","$where":"1","a.b":1,"writeKey":"k","channel":"server","version":2}"#
        let document = try #require(try SegmentFixture.normalize(body, .track).accepted.first?.document)
        #expect(document["_id"] == nil)
        #expect(document["tenantId"] == "acme")
        #expect(document["sourceId"] == "acme-web")
        #expect(document["receivedAt"] == .date(SegmentFixture.receivedAt))
        #expect(document["$where"] == nil)
        #expect(document["a.b"] == nil)
        #expect(document["writeKey"] == nil)
        #expect(document["channel"] == "server")
        #expect(document["version"] == 2)
    }

    @Test func writeKeyFallsBackToTheFirstEventThatCarriesOne() throws {
        let body = #"{"batch":[{"type":"track","userId":"u","event":"E"},{"type":"track","userId":"u","event":"E","writeKey":"wk_event"}]}"#
        #expect(try SegmentFixture.normalize(body, .batch).writeKey == "wk_event")
    }

    @Test(arguments: [
        ("[]", SegmentEndpoint.track, 400),
        (#""text""#, .batch, 400),
        (#"{"sentAt":"2024-01-02T03:04:06Z"}"#, .batch, 400),
        (#"{"batch":{"type":"track"}}"#, .import, 400),
        (#"{"batch":[],"context":"web"}"#, .batch, 400),
        (#"{"batch":[],"sentAt":"soon"}"#, .batch, 400),
    ])
    func malformedRequestsAreRefusedWhole(_ body: String, _ endpoint: SegmentEndpoint, _ status: Int) {
        let error = #expect(throws: InletError.self) { try SegmentFixture.normalize(body, endpoint) }
        #expect(error?.status == status)
    }

    @Test func anEmptyBatchAcceptsNothingAndRejectsNothing() throws {
        let batch = try SegmentFixture.normalize(#"{"batch":[]}"#, .batch)
        #expect(batch.accepted.isEmpty && batch.rejected.isEmpty)
    }

    @Test func batchOfMoreThan2500EventsIs413() throws {
        let event = #"{"type":"track","userId":"u","event":"E"}"#
        let tooMany = "{\"batch\":[" + Array(repeating: event, count: 2_501).joined(separator: ",") + "]}"
        let error = #expect(throws: InletError.self) { try SegmentFixture.normalize(tooMany, .batch) }
        #expect(error?.status == 413)
        #expect(error?.code == "too_large")

        let atLimit = "{\"batch\":[" + Array(repeating: event, count: 2_500).joined(separator: ",") + "]}"
        #expect(try SegmentFixture.normalize(atLimit, .batch).accepted.count == 2_500)
    }

    @Test func eventSizeLimitIsConfigurable() throws {
        let body = #"{"userId":"u","event":"E","properties":{"a":"0123456789"}}"#
        #expect(try SegmentFixture.normalize(body, .track, limits: .init(maxEventBytes: 40)).rejected.map(\.code) == ["too_large"])
        #expect(try SegmentFixture.normalize(body, .track, limits: .init(maxEventBytes: 4_096)).accepted.count == 1)
    }

    @Test func endpointsParseFromLongAndShortPaths() {
        #expect(SegmentEndpoint(pathComponent: "track") == .track)
        #expect(SegmentEndpoint(pathComponent: "t") == .track)
        #expect(SegmentEndpoint(pathComponent: "b") == .batch)
        #expect(SegmentEndpoint(pathComponent: "import") == .import)
        #expect(SegmentEndpoint(pathComponent: "Track") == nil)
        #expect(SegmentEndpoint.allCases.allSatisfy { SegmentEndpoint(pathComponent: $0.rawValue) == $0 })
    }

    @Test func eventSizesAreTheirLengthAsSent() throws {
        // Whitespace counts: the limit is on what the client sent, not on our re-encoding.
        let padded = #"{"type":"track","userId":"u","event":"E"}"#.replacingOccurrences(of: ",", with: String(repeating: " ", count: 30) + ",")
        let text = #"{"batch":[{"type":"track","userId":"u","event":"E"},"# + padded + "]}"
        let batch = try SegmentFixture.normalize(text, .batch, limits: EventLimits(maxEventBytes: 60))
        #expect(batch.accepted.map(\.index) == [0])
        #expect(batch.rejected.map(\.code) == ["too_large"])
        #expect(batch.rejected.map(\.index) == [1])
    }

    @Test func singleEventSizeIsTheBodysLengthAsSent() throws {
        let compact = #"{"userId":"u","event":"E"}"#
        let padded = compact.replacingOccurrences(of: ",", with: String(repeating: " ", count: 80) + ",")
        #expect(try SegmentFixture.normalize(compact, .track, limits: .init(maxEventBytes: 100)).accepted.count == 1)
        #expect(try SegmentFixture.normalize(padded, .track, limits: .init(maxEventBytes: 100)).rejected.map(\.code) == ["too_large"])
    }

    @Test("without a batch context, the event's own is kept in order, with ip from the connection only when absent or null")
    func eventContextAlone() throws {
        let cases: [(String, [String], JSONValue?)] = [
            (#""context":{"x":1,"ip":null,"y":2}"#, ["x", "ip", "y"], "203.0.113.7"),
            (#""context":{"ip":"198.51.100.1","x":1}"#, ["ip", "x"], "198.51.100.1"),
            (#""context":{"x":1}"#, ["x", "ip"], "203.0.113.7"),
            (#""context":{}"#, ["ip"], "203.0.113.7"),
            (#""context":null"#, ["ip"], "203.0.113.7"),
        ]
        for (member, keys, ip) in cases {
            let body = #"{"batch":[{"type":"track","userId":"u","event":"E",\#(member)}]}"#
            let context = try #require(try SegmentFixture.normalize(body, .batch).accepted.first?.document["context"]?.objectValue, "\(member)")
            #expect(context.keys == keys, "\(member)")
            #expect(context["ip"] == ip, "\(member)")
        }
    }

    @Test func contextsMergeTheSameWaySmallOrLarge() throws {
        // Large contexts are merged through hashing; the result must not depend on that.
        for extra in [0, 40] {
            let padding = (0..<extra).map { #""k\#($0)":\#($0)"# }
            let shared = (["\"a\":1", "\"ip\":null", "\"b\":2"] + padding).joined(separator: ",")
            let own = (["\"b\":\"own\"", "\"c\":3"] + padding.map { $0.replacingOccurrences(of: "\"k", with: "\"o") }).joined(separator: ",")
            let body = #"{"context":{\#(shared)},"batch":[{"type":"track","userId":"u","event":"E","context":{\#(own)}}]}"#
            let context = try #require(try SegmentFixture.normalize(body, .batch).accepted.first?.document["context"]?.objectValue)
            let keys = ["a", "ip", "b"] + (0..<extra).map { "k\($0)" } + ["c"] + (0..<extra).map { "o\($0)" }
            #expect(context.keys == keys)
            #expect(context["b"] == "own")
            #expect(context["ip"] == "203.0.113.7")
            #expect(context["c"] == 3)
        }
    }

    @Test("a request's documents share one buffer, back to back, each whole; rejected events leave no bytes in it")
    func documentsShareOneBuffer() throws {
        let body = #"""
            {"batch":[
              {"type":"track","event":"First","userId":"u-1","messageId":"m-1"},
              {"type":"track","userId":"u-1","messageId":"no-event-name"},
              {"type":"identify","userId":"u-2","traits":{"plan":"pro"},"messageId":"m-2"},
              [1, 2],
              {"type":"page","anonymousId":"a-3","name":"Home","messageId":"m-3"}
            ]}
            """#
        let batch = try SegmentFixture.normalize(body, .batch)
        #expect(batch.rejected.map(\.index) == [1, 3])
        #expect(batch.accepted.map(\.messageId) == ["m-1", "m-2", "m-3"])
        #expect(batch.accepted.map { $0.document["type"] } == ["track", "identify", "page"])
        // Each document is one BSON document by its own length prefix and ends with its NUL.
        for event in batch.accepted {
            let bytes = event.bson
            #expect(bytes.count > 5 && bytes.last == 0)
            #expect(bytes.withUnsafeBytes { Int(Int32(littleEndian: $0.loadUnaligned(as: Int32.self))) } == bytes.count)
        }
        // Back to back in one allocation: each begins where the one before ended.
        let places = batch.accepted.map { $0.bsonBytes.indices }
        #expect(places.first?.lowerBound == 0)
        #expect(zip(places, places.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
        let bases = batch.accepted.map { event in event.bsonBytes.withUnsafeBufferPointer { $0.baseAddress! - event.bsonBytes.startIndex } }
        #expect(Set(bases).count == 1, "the documents are not in one buffer")
    }

    @Test("an event whose context repeats the one before gets the same document as when it is sent alone")
    func repeatedContextsAreWrittenAsAlone() throws {
        let mobile = #"{"app":{"name":"Shop","version":"4.2"},"device":{"model":"iPhone15,2","id":"d-1"},"ip":null,"locale":"fr-FR","screen":{"width":390,"height":844}}"#
        let other = #"{"library":{"name":"analytics-ios","version":"4.1.8"},"ip":"192.0.2.1"}"#
        let events = [
            #"{"type":"track","userId":"u","event":"A","messageId":"m-0","context":\#(mobile)}"#,
            #"{"type":"track","userId":"u","event":"B","messageId":"m-1","context":\#(mobile)}"#,
            // Rejected (no event name) before its document is begun: the next one repeats the last written.
            #"{"type":"track","userId":"u","messageId":"m-2","context":\#(mobile)}"#,
            #"{"type":"screen","anonymousId":"a","name":"Home","messageId":"m-3","context":\#(mobile)}"#,
            #"{"type":"track","userId":"u","event":"C","messageId":"m-4","context":\#(other)}"#,
            #"{"type":"track","userId":"u","event":"D","messageId":"m-5","context":\#(mobile)}"#,
            // As long as the one before, other bytes.
            #"{"type":"track","userId":"u","event":"D","messageId":"m-5b","context":\#(mobile.replacingOccurrences(of: "fr-FR", with: "de-DE"))}"#,
            #"{"type":"track","userId":"u","event":"E","messageId":"m-6"}"#,
            #"{"type":"track","userId":"u","event":"F","messageId":"m-7","context":\#(mobile)}"#,
            // The same members, in another order: other bytes, written afresh.
            #"{"type":"track","userId":"u","event":"G","messageId":"m-8","context":{"locale":"fr-FR","ip":null}}"#,
        ]
        for envelope in [#""sentAt":"2024-01-02T03:00:09.000Z""#, #""context":{"locale":"en-GB","timezone":"Europe/Paris"}"#] {
            let batch = try SegmentFixture.normalize(#"{\#(envelope),"batch":[\#(events.joined(separator: ","))]}"#, .batch)
            #expect(batch.rejected.map(\.index) == [2], "\(envelope)")
            #expect(batch.accepted.count == events.count - 1)
            for event in batch.accepted {
                let alone = try SegmentFixture.normalize(#"{\#(envelope),"batch":[\#(events[event.index])]}"#, .batch)
                let expected = try #require(alone.accepted.first, "\(event.index)")
                #expect(event.bson == expected.bson, "event \(event.index) with \(envelope)")
            }
            #expect(batch.accepted[0].document["context"]?["ip"] == "203.0.113.7")
            #expect(batch.accepted[3].document["context"]?["ip"] == "192.0.2.1")
            #expect(batch.accepted[5].document["context"]?["locale"] == "de-DE")
        }
    }
}
