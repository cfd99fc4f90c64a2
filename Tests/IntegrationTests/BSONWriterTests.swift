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

    @Test("the size worked out ahead is the size written; a name cut at a NUL makes it an upper bound")
    func encodedSize() {
        #expect(BSONWriter.encodedSize(Self.object) == BSONWriter.document(Self.object).count)
        let wide: JSONObject = ["array": .array((0..<1_234).map { .int(Int64($0)) }), "empty": .object([:]), "": "x"]
        #expect(BSONWriter.encodedSize(wide) == BSONWriter.document(wide).count)
        let cut: JSONObject = ["a\u{0}bc": 1, "nested": ["d\u{0}": .array([nil, true])]]
        #expect(BSONWriter.encodedSize(cut) == BSONWriter.document(cut).count + 4)
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
}
