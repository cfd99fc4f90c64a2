/// Why a body is not the JSON inlet accepts. `code` is stable and machine-readable (it ends up in
/// `400` responses and metrics); `offset` is the byte where the parser gave up, for debugging a
/// client's payload.
///
/// Codes: `syntax` (anything RFC 8259's grammar refuses, empty input and trailing data included),
/// `invalid_utf8`, `invalid_escape` (unknown escape, bad hex, unpaired surrogate),
/// `control_character` (unescaped U+0000...U+001F in a string), `duplicate_key`, `too_deep`,
/// `number_out_of_range` (not a finite Double).
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: String
    public var message: String
    public var offset: Int

    public init(code: String, message: String, offset: Int) {
        self.code = code
        self.message = message
        self.offset = offset
    }

    public var description: String { "\(code) at byte \(offset): \(message)" }

    static func syntax(_ message: String, at offset: Int) -> JSONParseError {
        JSONParseError(code: "syntax", message: message, offset: offset)
    }

    static func invalidUTF8(at offset: Int) -> JSONParseError {
        JSONParseError(code: "invalid_utf8", message: "invalid UTF-8 in a string", offset: offset)
    }

    static func invalidEscape(_ message: String, at offset: Int) -> JSONParseError {
        JSONParseError(code: "invalid_escape", message: message, offset: offset)
    }
}
