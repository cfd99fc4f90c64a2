import Foundation
@testable import InletModel
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

    /// Names and strings of up to 16 bytes are copied in line, in four ways by length; longer
    /// ones by `memmove`. Every length around those edges must reach libbson intact.
    @Test("names and strings of every length from 0 to 40 bytes are written whole")
    func namesAndStringsOfEveryLength() {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ")
        var object = JSONObject()
        for length in 0...40 {
            let text = String(alphabet[0..<length])
            object["k" + text] = .string(text)
            object[String(alphabet[0..<max(length, 1)]).uppercased() + "#\(length)"] = .int(Int64(length))
        }
        let bytes = BSONWriter.document(object)
        #expect(BSONDocument(bytes: bytes).toJSONObject() == object)
        #expect(BSONReader.object(bytes) == object)
    }

    /// Names of 4 to 16 bytes are checked for a NUL a word at a time (two overlapping words),
    /// shorter and longer ones byte by byte: a NUL at any position of any length cuts the name
    /// there, as the byte loop does.
    @Test("a name is cut at its first NUL, wherever it is, for every length from 1 to 24 bytes")
    func namesCutAtEveryNULPosition() {
        let alphabet = Array("abcdefghijklmnopqrstuvwx".utf8)
        for length in 1...24 {
            #expect(alphabet[0..<length].withUnsafeBufferPointer { BSONWriter.nameLength($0) } == length)
            for position in 0..<length {
                var name = Array(alphabet[0..<length])
                name[position] = 0
                let found = name.withUnsafeBufferPointer { BSONWriter.nameLength($0) }
                #expect(found == position, "length \(length), NUL at \(position)")
                // Written and read back through libbson: the element's name is the part before the NUL.
                var writer = BSONWriter()
                let start = writer.beginDocument()
                name.withUnsafeBufferPointer { writer.append(key: $0, string: UnsafeBufferPointer(start: nil, count: 0)) }
                writer.endDocument(start)
                let read = BSONDocument(bytes: writer.bytes).toJSONObject()
                #expect(read.keys == [String(decoding: name[0..<position], as: UTF8.self)], "length \(length), NUL at \(position)")
            }
        }
    }

    @Test("dates are whole milliseconds, rounded down, before and after 1970 and at the ends of the range")
    func dateMilliseconds() {
        let cases: [(TimeInterval, Int64)] = [
            (1_704_164_410.1239, 1_704_164_410_123), (0, 0), (0.0009, 0), (-0.0001, -1), (-1.5, -1_500),
            (-1_704_164_410.1231, -1_704_164_410_124), (1e17, Int64.max), (-1e17, Int64.min),
        ]
        for (seconds, expected) in cases {
            #expect(BSONWriter.milliseconds(Date(timeIntervalSince1970: seconds)) == expected, "\(seconds)")
        }
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

    /// Elements encoded once and copied into each document (a request's owner fields), and an
    /// element copied from an earlier document of the same buffer (a repeated context), even when
    /// the copy makes the buffer grow: libbson must read each document as if written field by field.
    @Test("elements copied in, from another writer or from earlier in the buffer, read as written")
    func copiedElements() {
        var owner = BSONWriter(capacity: 16)
        owner.append("tenantId", string: "acme-tenant-with-a-long-name")
        owner.append("sourceId", string: "web")
        // Room for little more than the first document: the copies below make the array grow.
        var documents = BSONWriter(capacity: 80)
        let first = documents.beginDocument()
        documents.append(elements: owner.bytes)
        let contextStart = documents.count
        let context = documents.beginDocument("context")
        documents.append("locale", string: "fr-FR")
        documents.endDocument(context)
        let contextElement = contextStart..<documents.count
        documents.endDocument(first, keepingRoom: true)
        let firstEnd = documents.count
        for _ in 0..<3 {
            let next = documents.beginDocument()
            documents.append(elements: owner.bytes)
            documents.appendCopy(ofWritten: contextElement)
            documents.append("n", string: "x")
            documents.endDocument(next, keepingRoom: true)
        }
        documents.append(elements: [])
        documents.finish()
        let bytes = documents.bytes
        let expectedFirst: JSONObject = ["tenantId": "acme-tenant-with-a-long-name", "sourceId": "web", "context": ["locale": "fr-FR"]]
        #expect(BSONDocument(bytes: Array(bytes[0..<firstEnd])).toJSONObject() == expectedFirst)
        var expectedNext = expectedFirst
        expectedNext["n"] = "x"
        var start = firstEnd
        for _ in 0..<3 {
            let length = bytes.withUnsafeBytes { Int(Int32(littleEndian: $0.loadUnaligned(fromByteOffset: start, as: Int32.self))) }
            #expect(BSONDocument(bytes: Array(bytes[start..<start + length])).toJSONObject() == expectedNext)
            start += length
        }
        #expect(start == bytes.count)
    }
}
