import Foundation

/// Strict decoders for what providers put in headers: anything malformed is `nil`, which the
/// verifiers turn into a rejection rather than a crash.
enum ByteEncoding {
    /// Standard base64 with padding, surrounding whitespace ignored.
    static func base64(_ text: some StringProtocol) -> [UInt8]? {
        // Signatures rarely carry whitespace: Foundation's trimming (a copy through NSString, per
        // callback in profiles) runs only when an end byte could be whitespace.
        var trimmed = String(text)
        if mayNeedTrimming(trimmed.utf8.first) || mayNeedTrimming(trimmed.utf8.last) {
            trimmed = trimmed.trimmingCharacters(in: .whitespaces)
        }
        guard !trimmed.isEmpty, let data = Data(base64Encoded: trimmed) else { return nil }
        return Array(data)
    }

    /// Whether a byte could start or end whitespace: a space, a control byte, or not ASCII.
    private static func mayNeedTrimming(_ byte: UInt8?) -> Bool {
        guard let byte else { return false }
        return byte <= 0x20 || byte >= 0x7F
    }

    /// Hex digits of either case, an even number of them.
    static func hex(_ text: some StringProtocol) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard !digits.isEmpty, digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    /// Unix seconds as sent in a header or a JSON string (`"1529006854"`); nothing else.
    static func unixSeconds(_ text: some StringProtocol) -> Int64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return Int64(text)
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
