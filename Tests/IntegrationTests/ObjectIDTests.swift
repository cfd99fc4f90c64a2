import Foundation
import InletModel
import Testing

@testable import MongoStore

/// The store writes the `_id` libmongoc would add to a document without one; it must only do so
/// when the document has none, and the ids must be ObjectIds as libbson makes them.
@Suite("ObjectIds the store adds")
struct ObjectIDTests {
    @Test("a top-level _id is found wherever it is; nested ones and look-alikes are not")
    func findsTopLevelIds() {
        let cases: [(JSONObject, Bool)] = [
            (["_id": "a", "x": 1], true),
            (["x": 1, "nested": ["y": [1, 2.5, nil, true]], "_id": 7], true),
            (["x": "_id", "nested": ["_id": 1], "_ids": 1, "_i": 2], false),
            ([:], false),
        ]
        for (object, expected) in cases {
            #expect(BSONTopLevelKeys.contains("_id", in: BSONWriter.document(object)) == expected, "\(object)")
        }
        // A regular expression (0x0B) is not a type inlet writes: unknown, so libmongoc decides.
        let regex: [UInt8] = [13, 0, 0, 0, 0x0B, 0x72, 0, 0x61, 0, 0, 0, 0, 0]
        #expect(BSONTopLevelKeys.contains("_id", in: regex) == nil)
        var truncated = BSONWriter.document(["a": "text"])
        truncated[9] = 200
        #expect(BSONTopLevelKeys.contains("_id", in: truncated) == nil)
        #expect(BSONTopLevelKeys.contains("_id", in: [5, 0, 0]) == nil)
    }

    @Test("ids of one bulk share time and process bytes and count up; bulks take distinct ranges")
    func idsCountUp() {
        func ids(_ count: Int) -> [[UInt8]] {
            var sequence = ObjectIDs(count: count)
            return (0..<count).map { _ in
                var bytes = [UInt8](repeating: 0, count: 12)
                bytes.withUnsafeMutableBytes { sequence.write(to: $0.baseAddress!) }
                return bytes
            }
        }
        let first = ids(3)
        let second = ids(2)
        let now = UInt32(Date().timeIntervalSince1970)
        for id in first + second {
            let seconds = UInt32(id[0]) << 24 | UInt32(id[1]) << 16 | UInt32(id[2]) << 8 | UInt32(id[3])
            #expect(seconds <= now && now - seconds < 60)
            #expect(id[4..<9] == first[0][4..<9])
        }
        let counters = (first + second).map { UInt32($0[9]) << 16 | UInt32($0[10]) << 8 | UInt32($0[11]) }
        for (earlier, later) in zip(counters, counters.dropFirst()) {
            #expect(later == (earlier + 1) & 0x00FF_FFFF)
        }
    }

    @Test("documents without _id get an ObjectId first; one of their own is kept, wherever it is")
    func storeAddsIdsOnlyWhenMissing() async throws {
        try await MongoStoreTests.withStore { (store: MongoStore) async throws in
            let withoutId = BSONWriter.document(["tenantId": "acme", "messageId": "m-1", "n": 1])
            let ownIdLast = BSONWriter.document(["tenantId": "acme", "messageId": "m-2", "_id": "mine"])
            let declaredWithoutId = BSONWriter.document(["tenantId": "acme", "messageId": "m-4"])
            let outcomes = await store.submit([
                .insert(Collections.events, bson: withoutId), .insert(Collections.events, bson: ownIdLast),
                .insert(Collections.events, ["tenantId": "acme", "messageId": "m-3"]),
                .insert(Collections.events, bsonWithoutId: declaredWithoutId),
            ])
            #expect(outcomes == [.stored, .stored, .stored, .stored])
            let stored = try await MongoStoreBSONRoundTripTests.storedBytes(store)
            for messageId in ["m-1", "m-3", "m-4"] {
                let bytes = try #require(stored[messageId])
                #expect(Array(bytes[4..<9]) == [0x07, 0x5F, 0x69, 0x64, 0x00], "\(messageId)")
            }
            // Kept, and not doubled (the server moves an `_id` to the front, as mongod does).
            let own = try #require(stored["m-2"])
            #expect(own.count == ownIdLast.count)
            #expect(BSONReader.object(own) == ["_id": "mine", "tenantId": "acme", "messageId": "m-2"])
            let read = try #require(try await store.findOne(Collections.events, filter: ["messageId": "m-3"]))
            let id = try #require(read["_id"]?.stringValue)
            #expect(id.count == 24 && id.allSatisfy(\.isHexDigit))
        }
    }
}
