import CHiredis
import Foundation
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

    /// hiredis's own formatter is an independent implementation of the same format.
    @Test func matchesHiredisFormatter() {
        let commands: [[String]] = [
            ["PING"], [""], ["EVALSHA", String(repeating: "a", count: 40), "1", "inlet:rl:{t:s}", "100000", "5000000", "1"],
            (0..<12).map { String(repeating: "x", count: $0 * 37) }, ["SET", "k", String(repeating: "é", count: 5_000)],
        ]
        for command in commands {
            var ours = ByteBuffer()
            RESPCommandEncoder.encode(command, into: &ours)
            #expect(Array(ours.readableBytesView) == Self.hiredis(command), "\(command.map(\.count))")
        }
    }

    static func hiredis(_ command: [String]) -> [UInt8] {
        let copies = command.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        var argv: [UnsafePointer<CChar>?] = copies.map { UnsafePointer($0) }
        let lengths = command.map { $0.utf8.count }
        var target: UnsafeMutablePointer<CChar>?
        let count = redisFormatCommandArgv(&target, Int32(command.count), &argv, lengths)
        defer { redisFreeCommand(target) }
        return Array(UnsafeRawBufferPointer(start: target, count: Int(count)))
    }
}
