import Foundation

extension CSVValueTyping {
    /// Reads an ISO-8601 date or date-time, the forms exports actually use:
    /// `2024-05-01` (midnight UTC), `2024-05-01T10:00:00Z`, with `T`, `t` or a space between date
    /// and time, up to 9 fractional digits, and a `Z` or `±HH:MM` / `±HHMM` offset. A date-time
    /// without an offset is read as UTC rather than refused, since many exports omit it.
    /// Calendar fields are range-checked (`2023-02-29` is text). Parsed by hand: Foundation's
    /// formatters cost microseconds per cell, and this runs for every cell of every import.
    public static func date(_ text: String) -> Date? {
        text.utf8.withContiguousStorageIfAvailable { date($0) }
            ?? Array(text.utf8).withUnsafeBufferPointer { date($0) }
    }

    static func date(_ bytes: UnsafeBufferPointer<UInt8>) -> Date? {
        var reader = DigitReader(bytes: bytes)
        guard let year = reader.digits(4), reader.skip("-"),
            let month = reader.digits(2), reader.skip("-"),
            let day = reader.digits(2),
            (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day)
        else { return nil }
        var seconds = Double(daysFromCivil(year: year, month: month, day: day)) * 86_400
        guard !reader.atEnd else { return Date(timeIntervalSince1970: seconds) }

        guard reader.skip("T") || reader.skip("t") || reader.skip(" "),
            let hour = reader.digits(2), reader.skip(":"),
            let minute = reader.digits(2), reader.skip(":"),
            let second = reader.digits(2),
            hour < 24, minute < 60, second < 60
        else { return nil }
        seconds += Double(hour * 3600 + minute * 60 + second)

        if reader.skip(".") {
            var fraction = 0
            var scale = 1
            while scale < 1_000_000_000, let digit = reader.digits(1) {
                fraction = fraction * 10 + digit
                scale *= 10
            }
            guard scale > 1, reader.peekDigit == nil else { return nil }
            seconds += Double(fraction) / Double(scale)
        }

        let isUTC = reader.skip("Z") || reader.skip("z")
        if !isUTC && !reader.atEnd {
            let sign: Int
            if reader.skip("+") {
                sign = 1
            } else if reader.skip("-") {
                sign = -1
            } else {
                return nil
            }
            guard let offsetHours = reader.digits(2) else { return nil }
            _ = reader.skip(":")
            guard let offsetMinutes = reader.digits(2), offsetHours < 24, offsetMinutes < 60 else { return nil }
            seconds -= Double(sign * (offsetHours * 3600 + offsetMinutes * 60))
        }
        guard reader.atEnd else { return nil }
        return Date(timeIntervalSince1970: seconds)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

/// A cursor over ASCII bytes for fixed-width date fields.
private struct DigitReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    var atEnd: Bool { index == bytes.count }

    var peekDigit: Int? {
        guard index < bytes.count, CSVValueTyping.isDigit(bytes[index]) else { return nil }
        return Int(bytes[index] &- UInt8(ascii: "0"))
    }

    /// Exactly `count` digits as a number, or `nil` (and nothing consumed) when they are not there.
    mutating func digits(_ count: Int) -> Int? {
        guard bytes.count - index >= count else { return nil }
        var value = 0
        for offset in 0..<count {
            let byte = bytes[index + offset]
            guard CSVValueTyping.isDigit(byte) else { return nil }
            value = value * 10 + Int(byte &- UInt8(ascii: "0"))
        }
        index += count
        return value
    }

    mutating func skip(_ character: Unicode.Scalar) -> Bool {
        guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
        index += 1
        return true
    }
}
