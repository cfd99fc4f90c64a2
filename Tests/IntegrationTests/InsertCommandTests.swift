import CMongoc
import Foundation
import InletModel
import Testing

@testable import MongoStore

/// `InsertCommand` writes a flush of inserts as one `insert` command's bytes, instead of handing
/// each document to libmongoc's bulk API. These check the bytes as libbson reads them, what is
/// left out, and the store's answers when the command carries the flush.
@Suite("Insert command")
struct InsertCommandTests {
    static func command(_ writes: [StoreWrite], collection: String = Collections.events) -> InsertCommand? {
        InsertCommand(writes.map(EncodedWrite.init), collection: collection)
    }

    @Test("the command libbson reads: insert, ordered false, each document with an _id put first only where it had none")
    func layout() throws {
        let withoutId = BSONWriter.document(["tenantId": "acme", "messageId": "m-1", "nested": ["a": [1, "two", nil]]])
        let ownId = BSONWriter.document(["_id": "mine", "messageId": "m-2"])
        var malformed = BSONWriter.document(["messageId": "m-3"])
        malformed[0] &+= 1
        let object: JSONObject = ["messageId": "m-4", "n": 2.5]
        let command = try #require(Self.command([
            .insert(Collections.events, bsonWithoutId: withoutId), .insert(Collections.events, bson: ownId),
            .insert(Collections.events, bson: malformed), .insert(Collections.events, object),
        ]))
        #expect(command.writeOfOperation == [0, 1, 3])
        #expect(command.malformed == [2])
        #expect(command.bytes.count == Int(command.bytes.withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }))

        let read = try #require(BorrowedBSON.with(command.bytes) { document -> (Bool, JSONObject, [String]) in
            var offset = 0
            let valid = bson_validate(document, BSON_VALIDATE_UTF8, &offset)
            return (valid, BSONDocument.read(document), Self.keys(document))
        })
        #expect(read.0, "libbson finds the command well formed")
        #expect(read.2 == ["insert", "ordered", "documents"], "the command's name comes first")
        #expect(read.1["insert"] == "events")
        #expect(read.1["ordered"] == false)
        let documents = try #require(read.1["documents"]?.arrayValue)
        #expect(documents.count == 3)
        var first = try #require(documents[0].objectValue)
        #expect(first.keys.first == "_id")
        let id = try #require(first["_id"]?.stringValue)
        #expect(id.count == 24 && id.allSatisfy(\.isHexDigit))
        first["_id"] = nil
        #expect(first == BSONReader.object(withoutId))
        #expect(documents[1].objectValue == BSONReader.object(ownId))
        var last = try #require(documents[2].objectValue)
        #expect(last.keys.first == "_id")
        last["_id"] = nil
        #expect(last == object)
    }

    @Test("anything but plain inserts, or a flush too large for one command, goes to the bulk API instead")
    func declines() throws {
        let insert = StoreWrite.insert(Collections.events, ["messageId": "m-1"])
        #expect(Self.command([insert]) != nil)
        #expect(Self.command([insert, .upsert(Collections.userDetails, filter: ["userId": "u"], update: ["$set": ["a": 1]])]) == nil)
        #expect(Self.command([.insertOrUpdate(Collections.userDetails, document: ["userId": "u"], filter: ["userId": "u"],
                                              update: ["$set": ["a": 1]])]) == nil)
        let large = StoreWrite.insert(Collections.events, ["blob": .string(String(repeating: "x", count: 3 << 20))])
        #expect(Self.command([large, large]) != nil)
        #expect(Self.command([large, large, large]) == nil, "over InsertCommand.maxBytes")
    }

    @Test func indexesAsNames() {
        var buffer = [UInt8](repeating: 0, count: 8)
        for (value, text) in [(0, "0"), (7, "7"), (10, "10"), (999, "999"), (1_000, "1000"), (99_999, "99999")] {
            let written = buffer.withUnsafeMutableBytes { BSONWriter.putDecimal(value, at: $0.baseAddress!) }
            #expect(String(decoding: buffer[..<written], as: UTF8.self) == text)
        }
    }

    @Test("an insert command's reply: n inserted and a single writeConcernError; the bulk's names do not count")
    func commandReply() throws {
        func reply(_ json: String, operations: Int) throws -> BulkReply {
            var error = bson_error_t()
            let document = try #require(bson_new_from_json(json, -1, &error), "\(json)")
            defer { bson_destroy(document) }
            return BulkReply(document, operations: operations, shape: .insertCommand)
        }
        let summary = try reply(#"{"n": 2, "writeErrors": [{"index": 1, "code": 11000, "errmsg": "dup"}], "ok": 1}"#, operations: 3)
        #expect(summary.inserted == 2)
        #expect(summary.writeError(operation: 1)?.code == 11000)
        #expect(!summary.hasWriteConcernError)
        let concern = try reply(#"{"n": 3, "writeConcernError": {"code": 64, "errmsg": "waiting for replication timed out"}}"#, operations: 3)
        #expect(concern.hasWriteConcernError)
        let bulkNames = try reply(#"{"nInserted": 3, "writeConcernErrors": [{"code": 64}]}"#, operations: 3)
        #expect(bulkNames.inserted == 0)
        #expect(!bulkNames.hasWriteConcernError)
        #expect(bulkNames.confirmedNothing)
    }

    @Test("a flush carried by the command: stored, duplicates within it and against earlier ones, a malformed document failed alone")
    func storeAnswers() async throws {
        try await MongoStoreTests.withStore { (store: MongoStore) async throws in
            var malformed = BSONWriter.document(["tenantId": "acme", "messageId": "bad"])
            malformed[0] &+= 1
            let first = await store.submit([
                MongoStoreTests.event("a"), MongoStoreTests.event("a"), .insert(Collections.events, bson: malformed),
                MongoStoreTests.event("b"),
            ])
            #expect(first == [.stored, .duplicate, .failed(reason: "not a BSON document"), .stored])
            let second = await store.submit([MongoStoreTests.event("b"), MongoStoreTests.event("c")])
            #expect(second == [.duplicate, .stored])
            #expect(try await store.count(Collections.events) == 3)
            let stored = try #require(try await store.findOne(Collections.events, filter: ["messageId": "c"]))
            #expect(stored["_id"]?.stringValue?.count == 24)
        }
    }

    static func keys(_ document: OpaquePointer) -> [String] {
        withUnsafeTemporaryAllocation(byteCount: inlet_bson_iter_size(), alignment: inlet_bson_iter_alignment()) { storage in
            let iterator = OpaquePointer(storage.baseAddress!)
            guard bson_iter_init(iterator, document) else { return [] }
            var keys: [String] = []
            while bson_iter_next(iterator) {
                keys.append(String(decoding: UnsafeRawBufferPointer(start: bson_iter_key(iterator), count: Int(bson_iter_key_len(iterator))),
                                   as: UTF8.self))
            }
            return keys
        }
    }
}
