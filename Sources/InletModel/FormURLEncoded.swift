/// `application/x-www-form-urlencoded` bodies and query strings, as Twilio and Mailgun post them
/// and as the WhatsApp handshake sends its query. Pairs keep their order and duplicates, because
/// signature schemes (Twilio's) are computed over exactly what was sent.
public enum FormURLEncoded {
    /// Splits on `&`, then on the first `=`; `+` is a space and `%XX` is a byte. Returns `nil` when
    /// a percent escape is malformed or the decoded bytes are not UTF-8, so a caller never signs
    /// or stores a guess of what the sender meant. Empty segments (`a=1&&b=2`) are skipped.
    public static func parse(_ bytes: [UInt8]) -> [(String, String)]? {
        var pairs: [(String, String)] = []
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "&")) ?? bytes.endIndex
            if end > start {
                let segment = bytes[start..<end]
                let equals = segment.firstIndex(of: UInt8(ascii: "=")) ?? end
                let value = equals < end ? bytes[(equals + 1)..<end] : []
                guard let decodedName = decode(bytes[start..<equals]), let decodedValue = decode(value) else { return nil }
                pairs.append((decodedName, decodedValue))
            }
            start = end + 1
        }
        return pairs
    }

    /// Parses a query string or body given as text.
    public static func parse(_ text: Substring) -> [(String, String)]? {
        parse(Array(text.utf8))
    }

    /// Decodes one name or value.
    public static func decode(_ bytes: ArraySlice<UInt8>) -> String? {
        // Most names and values have nothing to decode: taken as they are, without a copy.
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
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        ascii = true
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "+"):
                output.append(UInt8(ascii: " "))
                index += 1
            case UInt8(ascii: "%"):
                guard bytes.endIndex - index > 2,
                    let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
                else { return nil }
                output.append(high << 4 | low)
                index += 3
            default:
                output.append(byte)
                index += 1
            }
            if output[output.count - 1] >= 0x80 { ascii = false }
        }
        return string(output[...], ascii: ascii)
    }

    /// ASCII is valid UTF-8 as it is; only other bytes go through validation, whose generic
    /// path showed in profiles of every callback.
    private static func string(_ bytes: ArraySlice<UInt8>, ascii: Bool) -> String? {
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
