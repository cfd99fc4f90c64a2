/// Reads a source's write key from the HTTP Basic credentials SDKs send: the key is the user
/// name and the password is empty (`base64("key:")`; some clients drop the colon). A password,
/// if any, is ignored, as Segment and RudderStack do.
public enum WriteKey {
    /// Header values longer than this are refused before decoding; no write key is near it.
    static let maxHeaderLength = 1_024

    /// `nil` unless the header is `Basic <base64>` decoding to a non-empty UTF-8 user name.
    /// Works over the header's bytes with a stack buffer: it runs on every SDK request.
    public static func fromBasicAuth(_ headerValue: String) -> String? {
        var headerValue = headerValue
        return headerValue.withUTF8 { header -> String? in
            guard header.count <= maxHeaderLength else { return nil }
            var start = 0
            var end = header.count
            while start < end, header[start] == space { start += 1 }
            while end > start, header[end - 1] == space { end -= 1 }
            guard end - start > scheme.count else { return nil }
            for (offset, expected) in scheme.enumerated() where header[start + offset] | 0x20 != expected { return nil }
            start += scheme.count
            while start < end, header[start] == space { start += 1 }
            let encoded = UnsafeBufferPointer(rebasing: header[start..<end])
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: encoded.count * 3 / 4 + 1) { output -> String? in
                guard let count = decodeBase64(encoded, into: output) else { return nil }
                let decoded = UnsafeBufferPointer(rebasing: output[..<count])
                // The user name ends at the first colon; a password, if any, is ignored.
                let user = UnsafeBufferPointer(rebasing: decoded[..<(decoded.firstIndex(of: UInt8(ascii: ":")) ?? count)])
                guard !user.isEmpty else { return nil }
                return String(validating: user, as: UTF8.self)
            }
        }
    }

    private static let space = UInt8(ascii: " ")
    /// Compared with each byte ORed with 0x20, which lowercases letters and leaves the space alone.
    private static let scheme: [UInt8] = Array("basic ".utf8)

    /// Standard base64, padding optional, into `output` (at least `text.count * 3 / 4` bytes);
    /// the number of bytes written, or `nil` on any other byte or an impossible length.
    static func decodeBase64(_ text: UnsafeBufferPointer<UInt8>, into output: UnsafeMutableBufferPointer<UInt8>) -> Int? {
        var count = 0
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
                output[count] = UInt8(truncatingIfNeeded: accumulator >> UInt32(bits))
                count += 1
            }
        }
        guard bits < 6, padding <= 2 else { return nil }
        return count
    }
}
