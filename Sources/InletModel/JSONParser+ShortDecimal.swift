extension JSONParser.Reader {
    /// Exact powers of ten: every one up to 10^22 is a `Double` without rounding.
    private static let powersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ]

    /// The value of a short decimal literal without an exponent (`129.5`, `-0.25`), computed
    /// directly instead of through `String` and `strtod`: with at most 15 digits the digits are
    /// an integer below 2^53, and dividing it by an exact power of ten rounds once, correctly
    /// (Clinger's fast path), so the result is the same `Double`. `nil` for anything else,
    /// which takes the general path. `literal` has been validated as a JSON number.
    func shortDecimalValue(_ literal: Range<Int>, negative: Bool) -> Double? {
        var mantissa: UInt64 = 0
        var digits = 0
        var fractionDigits = 0
        var inFraction = false
        for position in (negative ? literal.lowerBound + 1 : literal.lowerBound)..<literal.upperBound {
            let byte = bytes[position]
            if byte == UInt8(ascii: ".") {
                inFraction = true
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            digits += 1
            guard digits <= 15 else { return nil }
            mantissa = mantissa * 10 + UInt64(byte - UInt8(ascii: "0"))
            if inFraction { fractionDigits += 1 }
        }
        let value = Double(mantissa) / Self.powersOfTen[fractionDigits]
        return negative ? -value : value
    }
}
