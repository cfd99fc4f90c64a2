import Foundation
import InletModel
import Testing

@testable import Normalize

@Suite struct CSVValueTypingTests {
    static let typed: [(String, JSONValue?)] = [
        ("", nil),
        ("0", .int(0)),
        ("42", .int(42)),
        ("-5", .int(-5)),
        ("-0", .int(0)),
        ("9223372036854775807", .int(.max)),
        ("-9223372036854775808", .int(.min)),
        ("9223372036854775808", .string("9223372036854775808")),
        ("12345678901234567890123", .string("12345678901234567890123")),
        ("007", .string("007")),
        ("+5", .string("+5")),
        ("+1 555 0100", .string("+1 555 0100")),
        ("+15550100", .string("+15550100")),
        ("555-0100", .string("555-0100")),
        ("(555) 0100", .string("(555) 0100")),
        ("3.25", .double(3.25)),
        ("-0.5", .double(-0.5)),
        ("0.1", .double(0.1)),
        ("00.5", .string("00.5")),
        (".5", .string(".5")),
        ("5.", .string("5.")),
        ("1.2.3", .string("1.2.3")),
        ("1e5", .string("1e5")),
        ("2E10", .string("2E10")),
        ("1" + String(repeating: "0", count: 400) + ".0", .string("1" + String(repeating: "0", count: 400) + ".0")),
        ("inf", .string("inf")),
        ("NaN", .string("NaN")),
        ("0x1F", .string("0x1F")),
        ("1,000", .string("1,000")),
        (" 42", .string(" 42")),
        ("true", .bool(true)),
        ("false", .bool(false)),
        ("TRUE", .bool(true)),
        ("False", .bool(false)),
        ("yes", .string("yes")),
        ("truthy", .string("truthy")),
        ("t", .string("t")),
        ("=SUM(A1)", .string("=SUM(A1)")),
        ("@x", .string("@x")),
        ("-", .string("-")),
        ("-x", .string("-x")),
        ("--5", .string("--5")),
        ("hello, world", .string("hello, world")),
    ]

    @Test(arguments: typed)
    func typesCells(cell: String, expected: JSONValue?) {
        #expect(CSVValueTyping.type(cell) == expected)
    }

    static let dates: [(String, Double?)] = [
        ("2024-05-01", 1_714_521_600),
        ("2024-05-01T10:00:00Z", 1_714_557_600),
        ("2024-05-01t10:00:00z", 1_714_557_600),
        ("2024-05-01 10:00:00Z", 1_714_557_600),
        ("2024-05-01T10:00:00", 1_714_557_600),
        ("2024-05-01T12:30:00+02:30", 1_714_557_600),
        ("2024-05-01T05:00:00-0500", 1_714_557_600),
        ("2024-05-01T10:00:00.250Z", 1_714_557_600.25),
        ("2024-05-01T10:00:00.123456789+00:00", 1_714_557_600.123456789),
        ("1969-12-31", -86_400),
        ("2000-03-01", 951_868_800),
        ("2024-02-29", 1_709_164_800),
        ("2023-02-29", nil),
        ("2024-13-01", nil),
        ("2024-00-10", nil),
        ("2024-04-31", nil),
        ("2024-05-01T24:00:00Z", nil),
        ("2024-05-01T10:60:00Z", nil),
        // A leap second is read as the last second of its minute (BSON dates cannot hold it).
        ("2024-05-01T10:00:60Z", 1_714_557_659),
        ("2024-05-01T10:00Z", nil),
        ("2024-05-01T10:00:00.Z", nil),
        // Digits past nanoseconds are read and dropped, as for SDK timestamps.
        ("2024-05-01T10:00:00.1234567890Z", 1_714_557_600.123456789),
        ("2024-05-01T10:00:00+2", nil),
        ("2024-05-01T10:00:00+24:00", nil),
        ("2024-05-01T10:00:00Zjunk", nil),
        ("2024-5-1", nil),
        ("05/01/2024", nil),
        ("20240501", nil),
    ]

    @Test(arguments: dates)
    func readsISO8601Dates(text: String, seconds: Double?) throws {
        let parsed = CSVValueTyping.date(text)
        if let seconds {
            let date = try #require(parsed)
            #expect(abs(date.timeIntervalSince1970 - seconds) < 0.000_001)
            #expect(CSVValueTyping.type(text) == .date(date))
        } else {
            #expect(parsed == nil)
        }
    }

    @Test func invalidDatesStayText() {
        #expect(CSVValueTyping.type("2023-02-29") == .string("2023-02-29"))
        #expect(CSVValueTyping.type("20240501") == .int(20_240_501))
    }
}
