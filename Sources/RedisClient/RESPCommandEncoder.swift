import NIOCore

/// Writes a command as a RESP array of bulk strings (`*N`, then `$len` and the bytes of each
/// argument), straight into the outgoing buffer. The format is four lines of the RESP spec; going
/// through hiredis's formatter meant copying every argument into one array, an `argv` of pointers
/// and a malloc'd result, for every rate-limit decision.
public enum RESPCommandEncoder {
    /// Encodes `arguments` (the command name first) and appends the bytes to `buffer`.
    public static func encode(_ arguments: [String], into buffer: inout ByteBuffer) {
        buffer.reserveCapacity(minimumWritableBytes: arguments.reduce(16) { $0 + $1.utf8.count + 16 })
        writeArrayHeader(count: arguments.count, into: &buffer)
        for argument in arguments {
            writeBulkString(argument, into: &buffer)
        }
    }

    /// Encodes binary arguments (the command name first) and appends the bytes to `buffer`.
    public static func encode(_ arguments: [ByteBuffer], into buffer: inout ByteBuffer) {
        buffer.reserveCapacity(minimumWritableBytes: arguments.reduce(16) { $0 + $1.readableBytes + 16 })
        writeArrayHeader(count: arguments.count, into: &buffer)
        for argument in arguments {
            argument.withUnsafeReadableBytes { writeBulkString($0, into: &buffer) }
        }
    }

    /// `*count` CRLF: opens a command of `count` arguments, for callers that write the arguments
    /// one by one (a hot command with a constant head need not build an array of Strings).
    public static func writeArrayHeader(count: Int, into buffer: inout ByteBuffer) {
        writeCount(UInt8(ascii: "*"), count, into: &buffer)
    }

    /// One argument, as a bulk string.
    public static func writeBulkString(_ argument: String, into buffer: inout ByteBuffer) {
        var argument = argument
        argument.withUTF8 { writeBulkString(UnsafeRawBufferPointer($0), into: &buffer) }
    }

    /// One integer argument in decimal, as Redis reads numbers, without building a String.
    public static func writeBulkString(decimal value: Int64, into buffer: inout ByteBuffer) {
        withDecimalDigits(value) { writeBulkString($0, into: &buffer) }
    }

    private static func writeBulkString(_ bytes: UnsafeRawBufferPointer, into buffer: inout ByteBuffer) {
        writeCount(UInt8(ascii: "$"), bytes.count, into: &buffer)
        buffer.writeBytes(bytes)
        buffer.writeStaticString("\r\n")
    }

    /// `prefix`, `count` in decimal, CRLF.
    private static func writeCount(_ prefix: UInt8, _ count: Int, into buffer: inout ByteBuffer) {
        buffer.writeInteger(prefix)
        withDecimalDigits(Int64(count)) { buffer.writeBytes($0) }
        buffer.writeStaticString("\r\n")
    }

    /// The ASCII digits of `value` (with a leading `-` when negative), from a buffer on the stack.
    private static func withDecimalDigits(_ value: Int64, _ body: (UnsafeRawBufferPointer) -> Void) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { storage in
            var magnitude = value.magnitude
            var start = storage.count
            repeat {
                start -= 1
                storage[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if value < 0 {
                start -= 1
                storage[start] = UInt8(ascii: "-")
            }
            body(UnsafeRawBufferPointer(rebasing: storage[start...]))
        }
    }
}
