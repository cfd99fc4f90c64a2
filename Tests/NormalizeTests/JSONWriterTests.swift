import Foundation
import InletModel
import Testing

@Suite struct JSONWriterTests {
    static let roundTrips: [JSONValue] = [
        .null, true, false, 0, -1, .int(.max), .int(.min),
        1.5, -0.25, .double(1e20), .double(1e-7), .double(5e-324), .double(.greatestFiniteMagnitude), .double(0.1 + 0.2),
        "", "plain", "quote \" backslash \\ slash /", "controls \u{0}\u{1}\u{8}\u{9}\u{A}\u{C}\u{D}\u{1F}\u{7F}",
        "unicode é € 😀 \u{2028}", [], [:], [1, "a", nil, [true]],
        ["z": 1, "a": ["nested": [1.25, "x"]], "": "empty key"],
    ]

    @Test(arguments: roundTrips)
    func parseOfWriteIsIdentity(_ value: JSONValue) throws {
        let bytes = value.jsonBytes()
        #expect(try JSONParser.parse(bytes) == value)
    }

    @Test func writesCompactOrderedJSON() {
        let value: JSONValue = ["b": [1, 2.5, "x"], "a": nil, "c": ["d": true]]
        #expect(value.jsonString() == #"{"b":[1,2.5,"x"],"a":null,"c":{"d":true}}"#)
    }

    @Test func escapesStringsAsRFC8259Requires() {
        let value: JSONValue = "a\"b\\c\nd\u{1}e/é"
        #expect(value.jsonString() == #""a\"b\\c\nd\u0001e/é""#)
    }

    @Test func nonFiniteDoublesBecomeNull() {
        let value: JSONValue = [.double(.infinity), .double(-.infinity), .double(.nan)]
        #expect(value.jsonString() == "[null,null,null]")
    }

    @Test func doublesStayDoublesAndIntegersStayIntegers() {
        #expect(JSONValue.double(1).jsonString() == "1.0")
        #expect(JSONValue.int(1).jsonString() == "1")
        #expect(JSONValue.int(-9_223_372_036_854_775_807 - 1).jsonString() == "-9223372036854775808")
    }

    @Test func datesAreISO8601UTCWithMilliseconds() {
        let date = Date(timeIntervalSince1970: 1_704_164_645.678)
        #expect(JSONValue.date(date).jsonString() == #""2024-01-02T03:04:05.678Z""#)
        #expect(JSONValue.date(Date(timeIntervalSince1970: 0)).jsonString() == #""1970-01-01T00:00:00.000Z""#)
        #expect(JSONValue.date(Date(timeIntervalSince1970: -0.001)).jsonString() == #""1969-12-31T23:59:59.999Z""#)
        #expect(JSONValue.date(Date(timeIntervalSince1970: 951_782_400)).jsonString() == #""2000-02-29T00:00:00.000Z""#)
        #expect(JSONValue.date(Date(timeIntervalSince1970: 1e15)).jsonString() == "null")
    }

    @Test func writeJSONAppendsToAReusedBuffer() {
        var buffer = Array("prefix:".utf8)
        JSONValue.array([1, 2]).writeJSON(into: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == "prefix:[1,2]")
    }
}
