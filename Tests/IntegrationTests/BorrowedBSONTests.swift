import CMongoc
import Foundation
import InletModel
import Testing

@testable import MongoStore

/// `BorrowedBSON` lends libmongoc the store's own bytes instead of a copy. These check that the
/// `bson_t` reads those bytes and nothing around them, and that libmongoc has copied a document
/// by the time its bulk append returns: bytes changed or freed afterwards must not reach MongoDB.
@Suite("Borrowed BSON")
struct BorrowedBSONTests {
    static let object: JSONObject = [
        "tenantId": "acme", "messageId": "m-1", "n": .int(7), "nested": ["a": [1, "two", nil]], "text": "é\u{0}x",
    ]

    @Test("the bson_t reads the array's own bytes, in place")
    func readsInPlace() throws {
        let bytes = BSONWriter.document(Self.object)
        let (sameStorage, length, read) = try #require(bytes.withUnsafeBufferPointer { buffer in
            BorrowedBSON.with(bytes) { document in
                (bson_get_data(document) == buffer.baseAddress, Int(inlet_bson_length(document)), BSONDocument.read(document))
            }
        })
        #expect(sameStorage)
        #expect(length == bytes.count)
        #expect(read == Self.object)
    }

    @Test("bytes that are not one document are refused before anything reads them")
    func refusesMalformedBytes() {
        let bytes = BSONWriter.document(Self.object)
        var longerPrefix = bytes
        longerPrefix[0] &+= 1
        var noTrailingNUL = bytes
        noTrailingNUL[noTrailingNUL.count - 1] = 1
        for malformed in [[], [5, 0, 0], Array(bytes.dropLast()), longerPrefix, noTrailingNUL, bytes + [0]] {
            #expect(BorrowedBSON.with(malformed) { _ in true } == nil, "\(malformed.prefix(8))")
        }
    }

    /// One buffer is rewritten for every document and scribbled over before the bulk runs: if
    /// libmongoc kept a pointer instead of a copy, the stored documents would be the scribble or
    /// all the last one.
    @Test("a bulk keeps its own copy of each borrowed document")
    func bulkCopiesBorrowedDocuments() async throws {
        let store = try MongoStore(url: TestServices.mongoURL(database: TestServices.unique("borrowed")))
        defer { Task { try? await store.shutdown() } }
        let count = 50
        let documents = (0..<count).map { index -> [UInt8] in
            BSONWriter.document(["_id": .string(String(format: "doc-%03d", index)), "payload": .string(String(repeating: "x", count: 200)), "n": .int(Int64(index))])
        }
        let inserted = try await store.run {
            try store.pool.withCollection("borrowed") { collection -> Bool in
                let options = BSONDocument(["ordered": false])
                let bulk = mongoc_collection_create_bulk_operation_with_opts(collection, options.pointer)!
                defer { mongoc_bulk_operation_destroy(bulk) }
                var buffer = [UInt8](repeating: 0, count: documents[0].count)
                for document in documents {
                    buffer.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: document) }
                    var error = bson_error_t()
                    let added = BorrowedBSON.with(buffer) { mongoc_bulk_operation_insert_with_opts(bulk, $0, nil, &error) }
                    guard added == true else { return false }
                }
                buffer.withUnsafeMutableBufferPointer { $0.update(repeating: 0xFF) }
                buffer = []
                var error = bson_error_t()
                return BSONDocument.withReply { reply in mongoc_bulk_operation_execute(bulk, reply, &error) != 0 }
            }
        }
        #expect(inserted)
        let stored = try await store.find("borrowed", filter: [:], sort: ["_id": 1])
        #expect(stored == documents.map { BSONReader.object($0) })
        _ = try await store.runCommand(["dropDatabase": 1])
    }
}
