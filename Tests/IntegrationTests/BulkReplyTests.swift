import CMongoc
import InletModel
import Testing

@testable import MongoStore

/// `BulkReply` reads libmongoc's bulk reply with `bson_iter`. Replies are written here as
/// extended JSON and made BSON by libbson, so numbers come as the server sends them (int32 for
/// small ones) unless a test asks for another type.
@Suite("Bulk reply")
struct BulkReplyTests {
    func reply(_ json: String, operations: Int) throws -> BulkReply {
        var error = bson_error_t()
        let bytes = Array(json.utf8)
        let document = try #require(bytes.withUnsafeBufferPointer { bson_new_from_json($0.baseAddress, $0.count, &error) }, "\(json)")
        defer { bson_destroy(document) }
        return BulkReply(document, operations: operations)
    }

    func reply(bson bytes: [UInt8], operations: Int) throws -> BulkReply {
        try #require(BorrowedBSON.with(bytes) { BulkReply($0, operations: operations) })
    }

    @Test func noErrors() throws {
        let summary = try reply(#"{"nInserted": 3, "nMatched": 2, "nModified": 1, "nRemoved": 0, "nUpserted": 4, "writeErrors": []}"#,
                                operations: 9)
        #expect((summary.inserted, summary.matched, summary.upserted) == (3, 2, 4))
        #expect((0..<9).allSatisfy { summary.writeError(operation: $0) == nil })
        #expect(!summary.hasWriteConcernError)
        #expect(!summary.confirmedNothing)
    }

    @Test("an empty reply (no server reached) confirms nothing")
    func emptyReply() throws {
        let summary = try reply("{}", operations: 3)
        #expect(summary.confirmedNothing)
        #expect((summary.inserted, summary.matched, summary.upserted) == (0, 0, 0))
        #expect(summary.writeError(operation: 0) == nil)
    }

    @Test("duplicate keys: code 11000 by operation, their long messages not kept")
    func duplicateKeyErrors() throws {
        let summary = try reply("""
            {"nInserted": 1, "nMatched": 0, "nUpserted": 0, "writeErrors": [
              {"index": 0, "code": 11000, "errmsg": "E11000 duplicate key error collection: inlet.deliveryEvents index: dedupKey_1 dup key: { dedupKey: \\"twilio:SM1:delivered\\" }", "keyPattern": {"dedupKey": 1}},
              {"index": 2, "code": 11000, "errmsg": "E11000 duplicate key error"}]}
            """, operations: 3)
        #expect(summary.inserted == 1)
        #expect(summary.writeError(operation: 0) == .init(code: 11000, message: ""))
        #expect(summary.writeError(operation: 1) == nil)
        #expect(summary.writeError(operation: 2) == .init(code: 11000, message: ""))
        #expect(!summary.confirmedNothing)
    }

    @Test("other write errors keep code and message; a missing message or code is filled in")
    func otherWriteErrors() throws {
        let summary = try reply("""
            {"nInserted": 0, "writeErrors": [
              {"code": 121, "errmsg": "Document failed validation", "index": 1},
              {"index": {"$numberLong": "2"}, "code": {"$numberLong": "91"}},
              {"index": 3.0, "errmsg": "no code"},
              {"index": 0, "code": 2.0, "errmsg": 7}]}
            """, operations: 4)
        #expect(summary.writeError(operation: 0) == .init(code: 2, message: "write error 2"))
        #expect(summary.writeError(operation: 1) == .init(code: 121, message: "Document failed validation"))
        #expect(summary.writeError(operation: 2) == .init(code: 91, message: "write error 91"))
        #expect(summary.writeError(operation: 3) == .init(code: 0, message: "no code"))
    }

    @Test("an error without an index, or not a document, is skipped; one naming no operation still counts as an error")
    func oddErrorEntries() throws {
        let skipped = try reply(#"{"writeErrors": [5, "x", {"code": 11000, "errmsg": "no index"}, {"index": "0", "code": 1}]}"#, operations: 2)
        #expect(skipped.confirmedNothing)
        #expect(skipped.writeError(operation: 0) == nil)

        let outOfRange = try reply(#"{"writeErrors": [{"index": 5, "code": 1}, {"index": -1, "code": 1}]}"#, operations: 2)
        #expect(!outOfRange.confirmedNothing)
        #expect([0, 1, 5, -1].allSatisfy { outOfRange.writeError(operation: $0) == nil })

        let notAnArray = try reply(#"{"writeErrors": {"0": {"index": 0, "code": 1}}}"#, operations: 1)
        #expect(notAnArray.confirmedNothing)
        #expect(notAnArray.writeError(operation: 0) == nil)
    }

    @Test("an operation listed twice keeps its last error")
    func repeatedIndex() throws {
        let summary = try reply(#"{"writeErrors": [{"index": 0, "code": 11000}, {"index": 0, "code": 6, "errmsg": "host unreachable"}]}"#,
                                operations: 1)
        #expect(summary.writeError(operation: 0) == .init(code: 6, message: "host unreachable"))
    }

    @Test func writeConcernErrors() throws {
        #expect(try !reply(#"{"nInserted": 1, "writeConcernErrors": []}"#, operations: 1).hasWriteConcernError)
        let failed = try reply(#"{"nInserted": 1, "writeConcernErrors": [{"code": 64, "errmsg": "waiting for replication timed out"}]}"#,
                               operations: 1)
        #expect(failed.hasWriteConcernError)
        #expect(!failed.confirmedNothing)
        #expect(try reply(#"{"writeConcernErrors": [{"code": 64}]}"#, operations: 0).confirmedNothing == false)
        #expect(try !reply(#"{"writeConcernErrors": {"code": 64}}"#, operations: 1).hasWriteConcernError)
    }

    @Test("counts of another type are not counts; of a field given twice the first counts")
    func fieldTypesAndRepeats() throws {
        let strings = try reply(#"{"nInserted": "3", "nMatched": true, "nUpserted": null}"#, operations: 1)
        #expect((strings.inserted, strings.matched, strings.upserted) == (0, 0, 0))
        let wide = try reply(#"{"nInserted": {"$numberLong": "5000000000"}, "nMatched": 2.9}"#, operations: 1)
        #expect((wide.inserted, wide.matched) == (5_000_000_000, 2))

        var writer = BSONWriter()
        let start = writer.beginDocument()
        writer.append("nInserted", .int(2))
        writer.append("nInserted", .int(5))
        writer.append("writeErrors", .array([.object(["index": .int(0), "code": .int(11000)])]))
        writer.append("writeErrors", .array([.object(["index": .int(1), "code": .int(1)])]))
        writer.endDocument(start)
        let repeated = try reply(bson: writer.bytes, operations: 2)
        #expect(repeated.inserted == 2)
        #expect(repeated.writeError(operation: 0)?.code == 11000)
        #expect(repeated.writeError(operation: 1) == nil)
    }
}
