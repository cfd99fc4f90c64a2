/// Reads a source's write key from the HTTP Basic credentials SDKs send: the key is the user
/// name and the password is empty (`base64("key:")`; some clients drop the colon). A password,
/// if any, is ignored, as Segment and RudderStack do.
public enum WriteKey {
    /// Header values longer than this are refused before decoding; no write key is near it.
    static let maxHeaderLength = 1_024

    /// `nil` unless the header is `Basic <base64>` decoding to a non-empty UTF-8 user name.
    public static func fromBasicAuth(_ headerValue: String) -> String? {
        var header = headerValue.utf8[...]
        guard header.count <= maxHeaderLength else { return nil }
        while header.first == UInt8(ascii: " ") { header = header.dropFirst() }
        while header.last == UInt8(ascii: " ") { header = header.dropLast() }
        let scheme = Array("basic ".utf8)
        guard header.count > scheme.count,
            zip(header.prefix(scheme.count), scheme).allSatisfy({ $0 | 0x20 == $1 })
        else { return nil }
        header = header.dropFirst(scheme.count)
        while header.first == UInt8(ascii: " ") { header = header.dropFirst() }
        guard let decoded = decodeBase64(header) else { return nil }
        let user = decoded.split(separator: UInt8(ascii: ":"), maxSplits: 1, omittingEmptySubsequences: false).first ?? []
        guard !user.isEmpty, let key = String(validating: user, as: UTF8.self) else { return nil }
        return key
    }

    /// Standard base64, padding optional; `nil` on any other byte or an impossible length.
    static func decodeBase64(_ text: Substring.UTF8View) -> [UInt8]? {
        var output: [UInt8] = []
        output.reserveCapacity(text.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        var padding = 0
        for byte in text {
            let value: UInt8
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = byte - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = byte - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte - UInt8(ascii: "0") + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            case UInt8(ascii: "="):
                padding += 1
                continue
            default: return nil
            }
            guard padding == 0 else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        guard bits < 6, padding <= 2 else { return nil }
        return output
    }
}
