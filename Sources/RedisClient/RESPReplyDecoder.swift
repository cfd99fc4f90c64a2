import CHiredis
import NIOCore

/// Decodes replies with a hiredis reader: bytes are fed in as they arrive, every complete reply
/// is turned into a `RESPValue` and its hiredis object freed at once.
///
/// Not a `NIOSingleStepByteToMessageDecoder`: hiredis copies what it is fed into its own buffer,
/// while NIO's decoder drivers stop calling `decode` once their `ByteBuffer` is empty, which
/// would strand the later replies of a pipelined read. So the handler feeds each read once and
/// then takes replies with `next()` until there are none.
///
/// hiredis itself refuses arrays nested deeper than 7 levels (a protocol error). It does not bound
/// a bulk string's declared length, so the decoder refuses once more than `maximumReplyBytes`
/// are buffered without completing a reply.
public struct RESPReplyDecoder {
    private let reader = HiredisReader()
    public let maximumReplyBytes: Int

    public init(maximumReplyBytes: Int = 64 * 1024 * 1024) {
        self.maximumReplyBytes = maximumReplyBytes
    }

    /// Hands the bytes of one read to hiredis. Throws when the buffered, unfinished reply is too large.
    public mutating func feed(_ buffer: ByteBuffer) throws {
        let reader = self.reader.pointer
        let status = buffer.withUnsafeReadableBytes { bytes in
            redisReaderFeed(reader, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count)
        }
        guard status == REDIS_OK else { throw Self.readerError(reader) }
        if inlet_redis_reader_pending(reader) > maximumReplyBytes {
            throw RedisClientError(.replyTooLarge, "more than \(maximumReplyBytes) bytes without a complete reply")
        }
    }

    /// The next complete reply, or `nil` until more bytes are fed. Throws on a malformed stream;
    /// the reader is unusable afterwards, so the connection must be dropped.
    public mutating func next() throws -> RESPValue? {
        let reader = self.reader.pointer
        var object: UnsafeMutableRawPointer?
        guard redisReaderGetReply(reader, &object) == REDIS_OK else { throw Self.readerError(reader) }
        guard let object else { return nil }
        defer { freeReplyObject(object) }
        return Self.value(of: object.assumingMemoryBound(to: redisReply.self))
    }

    private static func readerError(_ reader: UnsafeMutablePointer<redisReader>) -> RedisClientError {
        RedisClientError(.protocolError, String(cString: inlet_redis_reader_errstr(reader)))
    }

    private static func value(of reply: UnsafeMutablePointer<redisReply>) -> RESPValue {
        let bytes = { UnsafeRawBufferPointer(start: reply.pointee.str, count: reply.pointee.len) }
        switch reply.pointee.type {
        case REDIS_REPLY_STATUS:
            return .simpleString(String(decoding: bytes(), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            return .error(String(decoding: bytes(), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            return .integer(Int64(reply.pointee.integer))
        case REDIS_REPLY_STRING:
            return .bulkString(ByteBuffer(bytes: bytes()))
        case REDIS_REPLY_ARRAY:
            var elements: [RESPValue] = []
            elements.reserveCapacity(reply.pointee.elements)
            for index in 0..<reply.pointee.elements {
                guard let element = inlet_redis_reply_element(reply, index) else {
                    elements.append(.null)
                    continue
                }
                elements.append(value(of: element))
            }
            return .array(elements)
        default:
            return .null
        }
    }
}
