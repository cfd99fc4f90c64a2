import CMongoc
import Foundation
import InletModel
import Normalize
import Testing

@testable import MongoStore

/// The event path's documents go from the normaliser's buffer to MongoDB with no re-encoding
/// on the way: what SecantusDB holds must be those bytes, behind the `_id` libmongoc adds.
@Suite("MongoStore BSON round trip")
struct MongoStoreBSONRoundTripTests {
    static let body = #"""
        {"context":{"library":{"name":"analytics-node","version":"2.1.2"}},"sentAt":"2024-01-02T03:04:06Z","batch":[
          {"type":"track","userId":"u-1","event":"Order Completed","messageId":"m-1","timestamp":"2024-01-02T03:04:05.5Z",
           "properties":{"total":129.5,"count":3,"big":9007199254740993,"negative":-1,"tags":["a","b",{"c":null}],"ok":true,
                         "text":"caf\u00e9 \ud83d\ude00 \"q\"","empty":"","nested":{"deep":{"deeper":[[],{}]}}}},
          {"type":"identify","userId":"u-2","traits":{"plan":"pro","logins":42},"_metadata":{"bundled":["x"]}},
          {"type":"page","anonymousId":"a-3","name":"Home","context":{"ip":null,"locale":"fr-FR"}}
        ]}
        """#

    /// Every stored document's bytes, by `messageId`, read raw through libmongoc.
    static func storedBytes(_ store: MongoStore) async throws -> [String: [UInt8]] {
        try await store.run {
            try store.pool.withCollection(Collections.events) { collection in
                let filter = BSONDocument([:])
                let cursor = mongoc_collection_find_with_opts(collection, filter.pointer, nil, nil)!
                defer { mongoc_cursor_destroy(cursor) }
                var documents: [String: [UInt8]] = [:]
                var document: OpaquePointer?
                while mongoc_cursor_next(cursor, &document) {
                    guard let document else { continue }
                    let bytes = Array(UnsafeBufferPointer(start: bson_get_data(document), count: Int(inlet_bson_length(document))))
                    documents[BSONDocument.read(document)["messageId"]?.stringValue ?? ""] = bytes
                }
                return documents
            }
        }
    }

    @Test("normalised events are stored byte for byte, after libmongoc's _id")
    func eventsAreStoredByteForByte() async throws {
        let context = EventContext(tenantId: "acme", sourceId: "acme-web", receivedAt: Date(timeIntervalSince1970: 1_704_164_410), clientIP: "203.0.113.7")
        let batch = try SegmentNormalizer.normalize(tape: JSONParser.tape(Array(Self.body.utf8)), endpoint: .batch, context: context)
        #expect(batch.rejected == [])
        #expect(batch.accepted.count == 3)
        try await MongoStoreTests.withStore { (store: MongoStore) async throws in
            let outcomes = await store.submit(batch.accepted.map { .insert(Collections.events, bson: $0.bson) })
            #expect(outcomes == [.stored, .stored, .stored])
            let stored = try await Self.storedBytes(store)
            for event in batch.accepted {
                let bytes = try #require(stored[event.messageId], "\(event.messageId) not stored")
                // libmongoc puts an ObjectId `_id` first: type 7, "_id\0", 12 bytes.
                let idElement = 1 + 4 + 12
                #expect(bytes.count == event.bson.count + idElement)
                #expect(Array(bytes[4..<9]) == [0x07, 0x5F, 0x69, 0x64, 0x00])
                #expect(Array(bytes[(4 + idElement)...]) == Array(event.bson[4...]))
            }
        }
    }
}
