import NIOCore

/// One RESP2 reply. Error replies are values, not thrown errors, because callers act on them
/// (`NOSCRIPT` means "load the script and retry"), while transport failures fail the future.
public enum RESPValue: Sendable, Hashable {
    case simpleString(String)
    case error(String)
    case integer(Int64)
    case bulkString(ByteBuffer)
    case null
    case array([RESPValue])

    /// The text of a simple string, bulk string or error; `nil` for the other kinds.
    public var string: String? {
        switch self {
        case .simpleString(let s), .error(let s): return s
        case .bulkString(let buffer): return String(buffer: buffer)
        case .integer, .null, .array: return nil
        }
    }

    /// The value of an integer reply, or of a bulk string holding a decimal integer.
    public var integer: Int64? {
        switch self {
        case .integer(let value): return value
        case .bulkString(let buffer): return Int64(String(buffer: buffer))
        case .simpleString, .error, .null, .array: return nil
        }
    }

    /// The elements of an array reply.
    public var array: [RESPValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    public var isError: Bool {
        if case .error = self { return true }
        return false
    }
}
