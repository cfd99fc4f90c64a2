/// Whether a response field may go out over HTTP/2 (RFC 9113 §8.2): a lowercase token name that is
/// not connection-specific, and a value without NUL, CR or LF. inlet's endpoints build their
/// headers from constants and numbers, so this only guards against a future mistake. The blocks
/// clients send are checked by nghttp2 (`HTTP2RequestHandler`).
enum HTTP2ResponseFieldCheck {
    static func isValid(name: String, value: String) -> Bool {
        isValidFieldName(name) && !isConnectionSpecific(name) && isValidFieldValue(value)
    }

    /// RFC 9113 §8.2.2. Compared only at the lengths those names have: most fields are spared
    /// five string comparisons.
    private static func isConnectionSpecific(_ name: String) -> Bool {
        switch name.utf8.count {
        case 7: return name == "upgrade"
        case 10: return name == "connection" || name == "keep-alive"
        case 16: return name == "proxy-connection"
        case 17: return name == "transfer-encoding"
        default: return false
        }
    }

    /// RFC 9110 §5.6.2 `token` without uppercase letters (RFC 9113 §8.2.1), at least one byte: the
    /// symbols ! # $ % & ' * + - . ^ _ | ~ and the backtick, digits and lowercase letters, one bit
    /// each in two masks (bytes 0–63 and 64–127).
    static func isValidFieldName(_ name: String) -> Bool {
        !name.isEmpty && allBytes(of: name) { byte in
            switch byte {
            case 0..<64: return (0x03FF_6CFA_0000_0000 as UInt64) >> byte & 1 == 1
            case 64..<128: return (0x57FF_FFFF_C000_0000 as UInt64) >> (byte - 64) & 1 == 1
            default: return false
            }
        }
    }

    /// No NUL, CR or LF anywhere (RFC 9113 §8.2.1): they split fields when a value is copied into HTTP/1.1.
    static func isValidFieldValue(_ value: String) -> Bool {
        // Bits 0x00, 0x0A and 0x0D.
        allBytes(of: value) { byte in byte > 0x0D || (0x2401 as UInt16) >> byte & 1 == 0 }
    }

    /// Reads the bytes in place where the string has them together (native and small strings do).
    @inline(__always)
    private static func allBytes(of string: String, satisfy test: (UInt8) -> Bool) -> Bool {
        if let result = string.utf8.withContiguousStorageIfAvailable({ $0.allSatisfy(test) }) {
            return result
        }
        return string.utf8.allSatisfy(test)
    }
}
