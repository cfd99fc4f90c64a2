import NIOCore
import Testing

@testable import RedisClient

@Suite struct RESPCommandEncoderTests {
    @Test func encodesAnArrayOfBulkStrings() {
        var buffer = ByteBuffer()
        RESPCommandEncoder.encode(["SET", "k", "", "héllo"], into: &buffer)
        #expect(String(buffer: buffer) == "*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n$6\r\nhéllo\r\n")
    }

    @Test func encodesBinaryArguments() {
        var buffer = ByteBuffer()
        RESPCommandEncoder.encode([ByteBuffer(string: "GET"), ByteBuffer(bytes: [0, 10])], into: &buffer)
        #expect(Array(buffer.readableBytesView) == Array("*2\r\n$3\r\nGET\r\n$2\r\n".utf8) + [0, 10, 13, 10])
    }
}
