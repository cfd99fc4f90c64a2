import Foundation

/// `application/x-www-form-urlencoded` bodies and query strings, as Twilio and Mailgun post them
/// and as the WhatsApp handshake sends its query. Pairs keep their order and duplicates, because
/// signature schemes (Twilio's) are computed over exactly what was sent.
public enum FormURLEncoded {
    /// Splits on `&`, then on the first `=`; `+` is a space and `%XX` is a byte. Returns `nil` when
    /// a percent escape is malformed or the decoded bytes are not UTF-8, so a caller never signs
    /// or stores a guess of what the sender meant. Empty segments (`a=1&&b=2`) are skipped.
    public static func parse(_ bytes: [UInt8]) -> [(String, String)]? {
        bytes.withUnsafeBufferPointer { parse($0) }
    }

    /// Parses a query string or body given as text.
    public static func parse(_ text: Substring) -> [(String, String)]? {
        var text = text
        return text.withUTF8 { parse($0) }
    }

    /// Parses bytes in place: one pass to count the pairs (so the array is sized once), one to
    /// split and decode them.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> [(String, String)]? {
        var pairs: [(String, String)] = []
        var separators = 0
        for byte in bytes where byte == UInt8(ascii: "&") { separators += 1 }
        pairs.reserveCapacity(separators + 1)
        var start = 0
        while start < bytes.count {
            var end = start
            var equals = -1
            while end < bytes.count, bytes[end] != UInt8(ascii: "&") {
                if equals < 0, bytes[end] == UInt8(ascii: "=") { equals = end }
                end += 1
            }
            if end > start {
                let nameEnd = equals < 0 ? end : equals
                let valueStart = equals < 0 ? end : equals + 1
                guard let name = decode(UnsafeBufferPointer(rebasing: bytes[start..<nameEnd])),
                      let value = decode(UnsafeBufferPointer(rebasing: bytes[valueStart..<end]))
                else { return nil }
                pairs.append((name, value))
            }
            start = end + 1
        }
        return pairs
    }

    /// Decodes one name or value.
    public static func decode(_ bytes: ArraySlice<UInt8>) -> String? {
        bytes.withUnsafeBufferPointer { decode($0) }
    }

    /// Decodes one name or value. Most have nothing to decode: taken as they are; the others are
    /// decoded into scratch space (on the stack when small) and made a String from there.
    public static func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var escaped = false
        var ascii = true
        for byte in bytes {
            if byte == UInt8(ascii: "+") || byte == UInt8(ascii: "%") {
                escaped = true
                break
            }
            if byte >= 0x80 { ascii = false }
        }
        if !escaped { return string(bytes, ascii: ascii) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(1, bytes.count)) { output -> String? in
            var count = 0
            var high: UInt8 = 0
            var index = 0
            while index < bytes.count {
                var byte = bytes[index]
                switch byte {
                case UInt8(ascii: "+"):
                    byte = UInt8(ascii: " ")
                    index += 1
                case UInt8(ascii: "%"):
                    guard bytes.count - index > 2, let first = hexValue(bytes[index + 1]), let second = hexValue(bytes[index + 2])
                    else { return nil }
                    byte = first << 4 | second
                    index += 3
                default:
                    index += 1
                }
                output[count] = byte
                count += 1
                high |= byte
            }
            return string(UnsafeBufferPointer(rebasing: output[..<count]), ascii: high < 0x80)
        }
    }

    /// ASCII is valid UTF-8 as it is; only other bytes go through validation, whose generic
    /// path showed in profiles of every callback.
    private static func string(_ bytes: UnsafeBufferPointer<UInt8>, ascii: Bool) -> String? {
        ascii ? String(decoding: bytes, as: UTF8.self) : String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
