import Foundation

/// Reads the ISO-8601 / RFC 3339 timestamps SDKs send (`2024-01-02T03:04:05.678Z` from
/// JavaScript, `2024-01-02T03:04:05.678901+00:00` from Python, `+0530` and no fraction from
/// others) by hand: `ISO8601DateFormatter` is slow, and needs one configuration per form.
/// A timestamp without a zone is read as UTC. Returns `nil` for anything else.
/// The one ISO-8601 reader of inlet: SDK timestamps, CSV cells, provider times and trigger rules
/// all read dates through it, so they agree on what a date is.
public enum ISO8601Timestamp {
    /// `allowingDateOnly` also takes `2024-05-01` alone, as midnight UTC (CSV cells, rules).
    public static func parse(_ text: String, allowingDateOnly: Bool = false) -> Date? {
        var text = text
        return text.withUTF8 { parse(utf8: $0, allowingDateOnly: allowingDateOnly) }
    }

    public static func parse(utf8 bytes: UnsafeBufferPointer<UInt8>, allowingDateOnly: Bool = false) -> Date? {
        var reader = DigitReader(bytes: bytes)
        guard let year = reader.number(digits: 4), reader.skip(UInt8(ascii: "-")),
            let month = reader.number(digits: 2), reader.skip(UInt8(ascii: "-")),
            let day = reader.number(digits: 2)
        else { return nil }
        if allowingDateOnly, reader.atEnd {
            guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day) else { return nil }
            return Date(timeIntervalSince1970: Double(daysFromCivil(year: year, month: month, day: day) * 86_400))
        }
        guard reader.skip(UInt8(ascii: "T")) || reader.skip(UInt8(ascii: "t")) || reader.skip(UInt8(ascii: " ")),
            let hour = reader.number(digits: 2), reader.skip(UInt8(ascii: ":")),
            let minute = reader.number(digits: 2), reader.skip(UInt8(ascii: ":")),
            let second = reader.number(digits: 2)
        else { return nil }
        guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
            hour <= 23, minute <= 59, second <= 60
        else { return nil }

        var nanoseconds: Int64 = 0
        if reader.skip(UInt8(ascii: ".")) || reader.skip(UInt8(ascii: ",")) {
            var digits = 0
            while let digit = reader.digit() {
                if digits < 9 { nanoseconds = nanoseconds * 10 + digit }
                digits += 1
            }
            guard digits > 0 else { return nil }
            while digits < 9 {
                nanoseconds *= 10
                digits += 1
            }
        }

        var offsetSeconds: Int64 = 0
        if let sign = reader.offsetSign() {
            guard let offsetHours = reader.number(digits: 2), offsetHours <= 23 else { return nil }
            var offsetMinutes: Int64 = 0
            if !reader.atEnd {
                _ = reader.skip(UInt8(ascii: ":"))
                guard let minutes = reader.number(digits: 2), minutes <= 59 else { return nil }
                offsetMinutes = minutes
            }
            offsetSeconds = sign * (offsetHours * 3_600 + offsetMinutes * 60)
        } else {
            _ = reader.skip(UInt8(ascii: "Z")) || reader.skip(UInt8(ascii: "z"))
        }
        guard reader.atEnd else { return nil }

        // A leap second is read as the last second of its minute: BSON dates cannot hold it.
        let seconds = daysFromCivil(year: year, month: month, day: day) * 86_400
            + hour * 3_600 + minute * 60 + min(second, 59) - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + Double(nanoseconds) / 1e9)
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Howard Hinnant's days-from-civil: days since 1970-01-01 of a proleptic Gregorian date.
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let adjustedYear = month <= 2 ? year - 1 : year
        let era = (adjustedYear >= 0 ? adjustedYear : adjustedYear - 399) / 400
        let yearOfEra = adjustedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// A cursor over the timestamp's bytes; every read is bounds-checked.
    struct DigitReader {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        var atEnd: Bool { index >= bytes.count }
        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skip(_ byte: UInt8) -> Bool {
            guard peek == byte else { return false }
            index += 1
            return true
        }

        /// Steps over a zone offset's sign: `+1` or `-1`, `nil` when none is there.
        mutating func offsetSign() -> Int64? {
            if skip(UInt8(ascii: "+")) { return 1 }
            if skip(UInt8(ascii: "-")) { return -1 }
            return nil
        }

        mutating func digit() -> Int64? {
            guard let byte = peek, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            index += 1
            return Int64(byte - UInt8(ascii: "0"))
        }

        mutating func number(digits: Int) -> Int64? {
            var value: Int64 = 0
            for _ in 0..<digits {
                guard let digit = digit() else { return nil }
                value = value * 10 + digit
            }
            return value
        }
    }
}
