import Foundation
import InletModel
@testable import MongoStore
import Testing

/// `BSONWriter` against libbson: what inlet writes byte by byte must be what libbson reads (an
/// independent implementation of the format), and `BSONReader` must agree with it.
@Suite struct BSONWriterTests {
    static let object: JSONObject = [
        "string": "plain", "unicode": "é🙂", "nulInValue": "a\u{0}b", "empty": "",
        "int": .int(Int64.min), "double": 2.5, "negativeZero": -0.0, "true": true, "false": false, "null": nil,
        "date": .date(Date(timeIntervalSince1970: 1_704_164_410.123)),
        "nested": ["inner": ["deeper": [1, "two", ["three": 3]]], "emptyObject": .object([:]), "emptyArray": []],
        "longArray": .array((0..<12).map { .int(Int64($0)) }),
    ]

    @Test func libbsonReadsWhatTheWriterWrites() {
        let bytes = BSONWriter.document(Self.object)
        let document = BSONDocument(bytes: bytes)
        #expect(document.byteCount == bytes.count)
        #expect(document.toJSONObject() == Self.object)
    }

    @Test func readerAgreesWithLibbson() {
        let bytes = BSONWriter.document(Self.object)
        #expect(BSONReader.object(bytes) == BSONDocument(bytes: bytes).toJSONObject())
    }

    @Test func tapeValuesAreWrittenAsTheirTreeWouldBe() throws {
        let text = #"{"a":"x\ny","b":[1,2.5,null,true,{"c":[]}],"d":{"e":-3}}"#
        let tape = try JSONParser.tape(Array(text.utf8))
        var writer = BSONWriter()
        let start = writer.beginDocument()
        for (key, value) in tape.members(tape.root) { writer.appendMember(tape: tape, key: key, value: value) }
        writer.endDocument(start)
        #expect(writer.bytes == BSONWriter.document(try #require(try JSONParser.parse(text).objectValue)))
    }

    @Test func documentsToInsertLeadWithANewObjectId() throws {
        let now = Date(timeIntervalSince1970: 1_764_000_000)
        var first = BSONWriter()
        let start = first.beginDocument()
        first.appendNewObjectID(now: now)
        first.append("n", 1)
        first.endDocument(start)
        let read = BSONDocument(bytes: first.bytes).toJSONObject()
        #expect(Array(read.keys) == ["_id", "n"])
        #expect(BSONReader.object(first.bytes) == read, "BSONReader reads ObjectIds as libbson does")
        // libbson reads ObjectIds as 24 hex digits; the first 8 are the time, in seconds.
        let id = try #require(read["_id"]?.stringValue)
        #expect(id.count == 24 && id.allSatisfy(\.isHexDigit))
        #expect(UInt32(id.prefix(8), radix: 16) == 1_764_000_000)

        let one = ObjectID.make(now: now), two = ObjectID.make(now: now)
        #expect(one.count == 12 && one != two)
        #expect(one[4..<9] == two[4..<9], "the process part stays")

        let inserted = BSONDocument(bytes: BSONWriter.insertDocument(["n": 1])).toJSONObject()
        #expect(Array(inserted.keys) == ["_id", "n"])
        let ownId = BSONDocument(bytes: BSONWriter.insertDocument(["n": 1, "_id": "mine"])).toJSONObject()
        #expect(ownId == ["n": 1, "_id": "mine"], "a document's own _id is kept, and no second one added")
    }
}
