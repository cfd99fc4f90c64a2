import NIOCore

/// Writes a command as a RESP array of bulk strings (`*N`, then `$len` and the bytes of each
/// argument), straight into the outgoing buffer. The format is four lines of the RESP spec; going
/// through hiredis's formatter meant copying every argument into one array, an `argv` of pointers
/// and a malloc'd result, for every rate-limit decision.
public enum RESPCommandEncoder {
    /// Encodes `arguments` (the command name first) and appends the bytes to `buffer`.
    public static func encode(_ arguments: [String], into buffer: inout ByteBuffer) {
        buffer.reserveCapacity(minimumWritableBytes: arguments.reduce(16) { $0 + $1.utf8.count + 16 })
        writeCount(UInt8(ascii: "*"), arguments.count, into: &buffer)
        for argument in arguments {
            var argument = argument
            argument.withUTF8 { writeBulkString(UnsafeRawBufferPointer($0), into: &buffer) }
        }
    }

    /// Encodes binary arguments (the command name first) and appends the bytes to `buffer`.
    public static func encode(_ arguments: [ByteBuffer], into buffer: inout ByteBuffer) {
        buffer.reserveCapacity(minimumWritableBytes: arguments.reduce(16) { $0 + $1.readableBytes + 16 })
        writeCount(UInt8(ascii: "*"), arguments.count, into: &buffer)
        for argument in arguments {
            argument.withUnsafeReadableBytes { writeBulkString($0, into: &buffer) }
        }
    }

    private static func writeBulkString(_ bytes: UnsafeRawBufferPointer, into buffer: inout ByteBuffer) {
        writeCount(UInt8(ascii: "$"), bytes.count, into: &buffer)
        buffer.writeBytes(bytes)
        buffer.writeStaticString("\r\n")
    }

    /// `prefix`, `count` in decimal, CRLF.
    private static func writeCount(_ prefix: UInt8, _ count: Int, into buffer: inout ByteBuffer) {
        buffer.writeInteger(prefix)
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { storage in
            var value = UInt(count)
            var start = storage.count
            repeat {
                start -= 1
                storage[start] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            } while value > 0
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: storage[start...]))
        }
        buffer.writeStaticString("\r\n")
    }
}
