import Foundation

/// Compact JSON output for responses, trigger payloads and logs. What `JSONParser` reads back
/// from it equals the value written, except that `.date` comes back as its ISO-8601 string and
/// non-finite doubles (which JSON cannot express) as `null`.
extension JSONValue {
    public func jsonBytes() -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(128)
        writeJSON(into: &output)
        return output
    }

    public func jsonString() -> String {
        String(decoding: jsonBytes(), as: UTF8.self)
    }

    /// Appends to `output`, so a caller can reuse one buffer across many values.
    public func writeJSON(into output: inout [UInt8]) {
        switch self {
        case .null:
            output.append(contentsOf: "null".utf8)
        case .bool(let value):
            output.append(contentsOf: value ? "true".utf8 : "false".utf8)
        case .int(let value):
            Self.writeInteger(value, into: &output)
        case .double(let value):
            Self.writeDouble(value, into: &output)
        case .string(let value):
            Self.writeString(value, into: &output)
        case .date(let value):
            Self.writeDate(value, into: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            var first = true
            for element in elements {
                if !first { output.append(UInt8(ascii: ",")) }
                first = false
                element.writeJSON(into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            object.writeJSON(into: &output)
        }
    }

    static func writeInteger(_ value: Int64, into output: inout [UInt8]) {
        if value < 0 { output.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            while count > 0 {
                count -= 1
                output.append(buffer[count])
            }
        }
    }

    /// Swift's `description` is the shortest text that reads back as the same Double, and its
    /// forms (`1.5`, `1e-07`, `1e+20`, `-0.0`) are all valid JSON numbers.
    static func writeDouble(_ value: Double, into output: inout [UInt8]) {
        guard value.isFinite else {
            output.append(contentsOf: "null".utf8)
            return
        }
        output.append(contentsOf: value.description.utf8)
    }

    static func writeString(_ value: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var runStart = 0
            for position in 0..<utf8.count {
                let byte = utf8[position]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<position]))
                runStart = position + 1
                output.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): output.append(byte)
                case 0x08: output.append(UInt8(ascii: "b"))
                case 0x0C: output.append(UInt8(ascii: "f"))
                case 0x0A: output.append(UInt8(ascii: "n"))
                case 0x0D: output.append(UInt8(ascii: "r"))
                case 0x09: output.append(UInt8(ascii: "t"))
                default:
                    output.append(contentsOf: "u00".utf8)
                    output.append(hexDigit(byte >> 4))
                    output.append(hexDigit(byte & 0x0F))
                }
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<utf8.count]))
        }
        output.append(UInt8(ascii: "\""))
    }

    static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    /// `2024-01-02T03:04:05.678Z`, computed by hand (Howard Hinnant's civil-from-days) rather
    /// than with a formatter, which is slow and not thread-safe to share. Dates outside years
    /// 0001...9999 have no such form and are written as `null`.
    static func writeDate(_ date: Date, into output: inout [UInt8]) {
        let seconds = date.timeIntervalSince1970
        guard seconds.isFinite, seconds >= -62_135_596_800, seconds < 253_402_300_800 else {
            output.append(contentsOf: "null".utf8)
            return
        }
        let milliseconds = Int64((seconds * 1000).rounded())
        let (days, millisecondOfDay) = milliseconds.floorDivided(by: 86_400_000)
        let (year, month, day) = civil(fromDays: days)
        output.append(UInt8(ascii: "\""))
        appendDigits(year, count: 4, into: &output)
        output.append(UInt8(ascii: "-"))
        appendDigits(month, count: 2, into: &output)
        output.append(UInt8(ascii: "-"))
        appendDigits(day, count: 2, into: &output)
        output.append(UInt8(ascii: "T"))
        appendDigits(millisecondOfDay / 3_600_000, count: 2, into: &output)
        output.append(UInt8(ascii: ":"))
        appendDigits(millisecondOfDay / 60_000 % 60, count: 2, into: &output)
        output.append(UInt8(ascii: ":"))
        appendDigits(millisecondOfDay / 1000 % 60, count: 2, into: &output)
        output.append(UInt8(ascii: "."))
        appendDigits(millisecondOfDay % 1000, count: 3, into: &output)
        output.append(contentsOf: "Z\"".utf8)
    }

    static func appendDigits(_ value: Int64, count: Int, into output: inout [UInt8]) {
        var divisor: Int64 = 1
        for _ in 1..<count { divisor *= 10 }
        while divisor > 0 {
            output.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: value / divisor % 10))
            divisor /= 10
        }
    }

    /// Days since 1970-01-01 to a proleptic Gregorian date.
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}

extension JSONObject {
    public func writeJSON(into output: inout [UInt8]) {
        output.append(UInt8(ascii: "{"))
        for position in 0..<keys.count {
            if position > 0 { output.append(UInt8(ascii: ",")) }
            JSONValue.writeString(keys[position], into: &output)
            output.append(UInt8(ascii: ":"))
            values[position].writeJSON(into: &output)
        }
        output.append(UInt8(ascii: "}"))
    }
}

extension Int64 {
    /// Division rounding toward negative infinity, with a remainder that is never negative.
    fileprivate func floorDivided(by divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let quotient = self / divisor
        let remainder = self % divisor
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }
}
