import NIOCore
import Testing

@testable import RedisClient

@Suite struct RESPReplyDecoderTests {
    private func decodeAll(_ chunks: [ByteBuffer]) throws -> [RESPValue] {
        var decoder = RESPReplyDecoder()
        var values: [RESPValue] = []
        for chunk in chunks {
            try decoder.feed(chunk)
            while let value = try decoder.next() { values.append(value) }
        }
        return values
    }

    private static let mixed = "+OK\r\n-ERR wrong\r\n:-42\r\n$5\r\nhello\r\n$-1\r\n*3\r\n:1\r\n*2\r\n$0\r\n\r\n*-1\r\n+x\r\n"
    private static let mixedValues: [RESPValue] = [
        .simpleString("OK"),
        .error("ERR wrong"),
        .integer(-42),
        .bulkString(ByteBuffer(string: "hello")),
        .null,
        .array([.integer(1), .array([.bulkString(ByteBuffer()), .null]), .simpleString("x")]),
    ]

    @Test func decodesEveryKindInOneRead() throws {
        #expect(try decodeAll([ByteBuffer(string: Self.mixed)]) == Self.mixedValues)
    }

    @Test func decodesWhenSplitAtEveryByteBoundary() throws {
        let bytes = Array(Self.mixed.utf8)
        for split in 0...bytes.count {
            let values = try decodeAll([ByteBuffer(bytes: bytes[..<split]), ByteBuffer(bytes: bytes[split...])])
            #expect(values == Self.mixedValues, "split at \(split)")
        }
    }

    @Test func decodesOneByteAtATime() throws {
        let values = try decodeAll(Self.mixed.utf8.map { ByteBuffer(bytes: [$0]) })
        #expect(values == Self.mixedValues)
    }

    @Test func decodesManyPipelinedRepliesInOneRead() throws {
        let wire = (0..<1000).map { ":\($0)\r\n" }.joined()
        let values = try decodeAll([ByteBuffer(string: wire)])
        #expect(values == (0..<1000).map { .integer(Int64($0)) })
    }

    @Test func keepsBinaryBulkStrings() throws {
        var wire = ByteBuffer(string: "$4\r\n")
        wire.writeBytes([0, 13, 10, 255])
        wire.writeString("\r\n")
        #expect(try decodeAll([wire]) == [.bulkString(ByteBuffer(bytes: [0, 13, 10, 255]))])
    }

    @Test func garbageIsAProtocolError() {
        #expect(throws: RedisClientError.self) {
            _ = try decodeAll([ByteBuffer(string: "HTTP/1.1 400 Bad Request\r\n")])
        }
    }

    @Test func nestingDeeperThanHiredisSupportsIsAProtocolError() {
        #expect(throws: RedisClientError.self) {
            _ = try decodeAll([ByteBuffer(string: String(repeating: "*1\r\n", count: 12) + ":1\r\n")])
        }
    }

    /// Found by the resp fuzz target: `*536870912\r\n` alone made hiredis allocate 4 GiB.
    @Test func refusesAHugeArrayHeaderWithoutAllocatingIt() {
        #expect(throws: RedisClientError.self) {
            _ = try decodeAll([ByteBuffer(string: "*536870912\r\n")])
        }
        #expect(throws: Never.self) {
            let values = try decodeAll([ByteBuffer(string: "*2\r\n:1\r\n:2\r\n")])
            #expect(values == [.array([.integer(1), .integer(2)])])
        }
    }

    @Test func refusesAReplyLargerThanTheMaximum() throws {
        var decoder = RESPReplyDecoder(maximumReplyBytes: 16)
        #expect(throws: RedisClientError.self) {
            try decoder.feed(ByteBuffer(string: "$1000\r\n" + String(repeating: "a", count: 100)))
        }
    }
}
