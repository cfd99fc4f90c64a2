import InletModel

/// Gives a CSV cell its JSON type, conservatively: a value becomes a number, boolean or date only
/// when it could not reasonably mean anything else, because a wrong guess corrupts data (a zip
/// code losing its leading zero) while a string can always be read later.
///
/// - Empty: `nil`, so an empty cell never overwrites a stored value. Cells are not trimmed.
/// - Integers: an optional `-`, then `0` or digits without a leading zero, within Int64. `007`,
///   `+44…` (E.164 phone numbers) and 20-digit ids stay strings.
/// - Decimals: the same integer part, `.`, digits, finite. No exponent: `1e5` and `2E10` look
///   like product codes more often than numbers, and no spreadsheet exports numbers that way.
/// - Booleans: `true` and `false` in any letter case, since Excel writes `TRUE`/`FALSE`.
/// - Dates: ISO-8601 (see `date(_:)`).
/// - Anything else, including `=SUM(A1)`, `@x` or `+1 555`, is kept as the exact text: guarding
///   against formula injection is the job of whoever exports it to a spreadsheet.
public enum CSVValueTyping {
    public static func type(_ cell: String) -> JSONValue? {
        if cell.isEmpty { return nil }
        let typed = cell.utf8.withContiguousStorageIfAvailable { typeBytes($0) }
            ?? Array(cell.utf8).withUnsafeBufferPointer { typeBytes($0) }
        return typed ?? .string(cell)
    }

    /// The typed value of a non-empty cell, or `nil` when it is text.
    private static func typeBytes(_ bytes: UnsafeBufferPointer<UInt8>) -> JSONValue? {
        guard let first = bytes.first else { return nil }
        switch first {
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            if let number = number(bytes) { return number }
            return ISO8601Timestamp.parse(utf8: bytes, allowingDateOnly: true).map { .date($0) }
        case UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "f"), UInt8(ascii: "F"):
            return boolean(bytes).map { .bool($0) }
        default:
            return nil
        }
    }

    private static func number(_ bytes: UnsafeBufferPointer<UInt8>) -> JSONValue? {
        let negative = bytes[0] == UInt8(ascii: "-")
        var index = negative ? 1 : 0
        let integerStart = index
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        let integerDigits = index - integerStart
        guard integerDigits > 0 else { return nil }
        if integerDigits > 1 && bytes[integerStart] == UInt8(ascii: "0") { return nil }
        if index == bytes.count { return integer(bytes[integerStart..<index], negative: negative) }
        guard bytes[index] == UInt8(ascii: "."), index + 1 < bytes.count else { return nil }
        index += 1
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        guard index == bytes.count else { return nil }
        // The grammar above is a subset of what `Double.init` accepts, so this parse is exact-rounded.
        guard let value = Double(String(decoding: bytes, as: UTF8.self)), value.isFinite else { return nil }
        return .double(value)
    }

    /// Accumulates negatively so that Int64.min fits; `nil` beyond Int64, which stays text.
    private static func integer(_ digits: Slice<UnsafeBufferPointer<UInt8>>, negative: Bool) -> JSONValue? {
        var value: Int64 = 0
        for digit in digits {
            let (shifted, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (next, overflowB) = shifted.subtractingReportingOverflow(Int64(digit &- UInt8(ascii: "0")))
            if overflowA || overflowB { return nil }
            value = next
        }
        if negative { return .int(value) }
        guard value != .min else { return nil }
        return .int(-value)
    }

    private static func boolean(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool? {
        func matches(_ word: StaticString) -> Bool {
            guard bytes.count == word.utf8CodeUnitCount else { return false }
            let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
            for (byte, lower) in zip(bytes, expected) where byte | 0x20 != lower { return false }
            return true
        }
        if matches("true") { return true }
        if matches("false") { return false }
        return nil
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10
    }
}
