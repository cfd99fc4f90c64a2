import NIOCore
import RedisClient

/// `EVALSHA <sha> 1 <key> <interval> <tolerance> <cost>` as RESP bytes. The first three arguments
/// never change, so they are encoded once; the rest are written straight into the buffer, with no
/// array of Strings and no String for a number.
enum GCRACommand {
    /// `*7`, `EVALSHA`, the script's SHA-1 and the key count `1`, as RESP.
    private static let head: [UInt8] = {
        var buffer = ByteBuffer()
        RESPCommandEncoder.writeArrayHeader(count: 7, into: &buffer)
        for argument in ["EVALSHA", GCRAScript.sha1, "1"] {
            RESPCommandEncoder.writeBulkString(argument, into: &buffer)
        }
        return Array(buffer.readableBytesView)
    }()

    static func encode(key: String, gcra: GCRA, cost: Int) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(head.count + key.utf8.count + 3 * 24 + 16)
        buffer.writeBytes(head)
        RESPCommandEncoder.writeBulkString(key, into: &buffer)
        RESPCommandEncoder.writeBulkString(decimal: gcra.emissionIntervalMicroseconds, into: &buffer)
        RESPCommandEncoder.writeBulkString(decimal: gcra.toleranceMicroseconds, into: &buffer)
        RESPCommandEncoder.writeBulkString(decimal: Int64(max(0, cost)), into: &buffer)
        return buffer
    }
}
