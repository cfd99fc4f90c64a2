import NIOHPACK

/// The RFC 9113 §8.2/§8.3 checks of the header blocks a client sends, done by inlet instead of
/// NIOHTTP2. NIOHTTP2's own validation enforces the same rules but cost about 6 % of a small
/// request's CPU (profiled on `/v1/track`): it builds a `Substring` and compares strings per
/// field, and it validates inlet's own response headers too. Here each field is one pass over its
/// bytes. The rules are NIOHTTP2 1.46's, for a server that does not offer extended CONNECT:
///
/// - field names are non-empty lowercase tokens (a pseudo-header's after its colon);
/// - pseudo-header fields come first, are known, are not repeated, and the required ones are
///   present (`:method`, `:scheme`, `:path`; only `:method` and `:authority` on CONNECT);
///   `:status` and `:protocol` are refused in a request, and any pseudo-header in trailers;
/// - `:path` is not empty; pseudo-header values hold no CTL, SP or DEL;
/// - regular values hold no NUL, CR or LF;
/// - no connection-specific field (`connection`, `proxy-connection`, `keep-alive`,
///   `transfer-encoding`, `upgrade`), and `te` only as `trailers`.
///
/// A block that breaks one is malformed (RFC 9113 §8.1.1): the stream is reset with PROTOCOL_ERROR.
enum HTTP2HeaderValidator {
    enum Failure: Error, Equatable {
        case invalidFieldName
        case invalidFieldValue
        case pseudoHeaderAfterRegularField
        case unknownPseudoHeader
        case duplicatePseudoHeader
        case missingPseudoHeader
        case pseudoHeaderNotAllowed
        case emptyPath
        case connectionSpecificField
        case teOtherThanTrailers
    }

    /// The pseudo-header fields of a request, one bit each.
    private struct PseudoHeaders: OptionSet {
        var rawValue: UInt8
        static let method = PseudoHeaders(rawValue: 1 << 0)
        static let scheme = PseudoHeaders(rawValue: 1 << 1)
        static let path = PseudoHeaders(rawValue: 1 << 2)
        static let authority = PseudoHeaders(rawValue: 1 << 3)
        /// `:status` and `:protocol`: known to HTTP/2, never allowed in a request here.
        static let notInRequests = PseudoHeaders(rawValue: 1 << 4)

        static let requiredInRequests: PseudoHeaders = [.method, .scheme, .path]
        /// RFC 9113 §8.5: CONNECT names only the authority.
        static let connect: PseudoHeaders = [.method, .authority]
    }

    /// Checks a request's header block (the HEADERS that open a stream).
    static func validateRequest(_ block: HPACKHeaders) throws(Failure) {
        var seen = PseudoHeaders()
        var regularSeen = false
        var isConnect = false
        for (name, value, _) in block {
            if name.utf8.first == UInt8(ascii: ":") {
                guard !regularSeen else { throw .pseudoHeaderAfterRegularField }
                let field = try pseudoHeader(name)
                guard !seen.contains(field) else { throw .duplicatePseudoHeader }
                seen.insert(field)
                guard isValidPseudoHeaderValue(value) else { throw .invalidFieldValue }
                if field == .method {
                    isConnect = value == "CONNECT"
                } else if field == .path, value.isEmpty {
                    throw .emptyPath
                }
            } else {
                regularSeen = true
                try validateRegularField(name: name, value: value)
                if name.utf8.count == 2, name == "te", value != "trailers" { throw .teOtherThanTrailers }
            }
        }
        if isConnect {
            guard seen == .connect else { throw seen.isSubset(of: .connect) ? .missingPseudoHeader : .pseudoHeaderNotAllowed }
        } else {
            guard !seen.contains(.notInRequests) else { throw .pseudoHeaderNotAllowed }
            guard seen.isSuperset(of: .requiredInRequests) else { throw .missingPseudoHeader }
        }
    }

    /// Checks a trailer block: regular fields only.
    static func validateTrailers(_ block: HPACKHeaders) throws(Failure) {
        for (name, value, _) in block {
            if name.utf8.first == UInt8(ascii: ":") {
                throw .pseudoHeaderNotAllowed
            }
            try validateRegularField(name: name, value: value)
        }
    }

    /// Whether inlet may send this response field: a lowercase token name that is not
    /// connection-specific, and a value without NUL, CR or LF. inlet's endpoints build their
    /// headers from constants and numbers, so this only guards against a future mistake, as
    /// NIOHTTP2's validation of outbound blocks did.
    static func isValidResponseField(name: String, value: String) -> Bool {
        (try? validateRegularField(name: name, value: value)) != nil
    }

    private static func pseudoHeader(_ name: String) throws(Failure) -> PseudoHeaders {
        switch name {
        case ":method": return .method
        case ":scheme": return .scheme
        case ":path": return .path
        case ":authority": return .authority
        case ":status", ":protocol": return .notInRequests
        default: throw .unknownPseudoHeader
        }
    }

    private static func validateRegularField(name: String, value: String) throws(Failure) {
        guard isValidFieldName(name) else { throw .invalidFieldName }
        guard !isConnectionSpecific(name) else { throw .connectionSpecificField }
        guard isValidFieldValue(value) else { throw .invalidFieldValue }
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

    /// No CTL, SP or DEL: no pseudo-header's grammar admits them, and `:path` becomes an HTTP/1.1
    /// request target. Bytes from 0x80 up pass (unencoded UTF-8 in paths), as in NIOHTTP2.
    static func isValidPseudoHeaderValue(_ value: String) -> Bool {
        allBytes(of: value) { byte in byte > 0x20 && byte != 0x7F }
    }

    /// Reads the bytes in place where the string has them together (native and small strings do), a
    /// plain loop over a buffer rather than a `String.UTF8View` index walk; header fields are scanned
    /// on every request, so this loop is hot.
    @inline(__always)
    private static func allBytes(of string: String, satisfy test: (UInt8) -> Bool) -> Bool {
        if let result = string.utf8.withContiguousStorageIfAvailable({ $0.allSatisfy(test) }) {
            return result
        }
        return string.utf8.allSatisfy(test)
    }
}
