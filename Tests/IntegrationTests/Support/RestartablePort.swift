import Foundation
import NIOCore
import NIOPosix

/// A free loopback port for a test server that is killed and restarted on the same port.
///
/// Taken below the kernel's ephemeral range (`ip_local_port_range`, 32768–60999 by default):
/// while such a server is down, an ephemeral port is fair game for any outgoing connection of the
/// tests running in parallel, or for inlet's own reconnect attempt, which then connects to itself.
/// Either holds the port, and the restarted server cannot bind it (seen once: a private
/// `redis-server` that never came back on 33689).
enum RestartablePort {
    static func free() async throws -> Int {
        let ephemeralStart = Self.ephemeralRangeStart()
        let range = max(10_000, ephemeralStart - 4_096)..<ephemeralStart
        for _ in 0..<50 {
            let port = Int.random(in: range)
            guard let channel = try? await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(host: "127.0.0.1", port: port).get()
            else { continue }
            try await channel.close()
            return port
        }
        throw RestartablePortError.noneFree(range)
    }

    /// The first port the kernel hands out to outgoing connections.
    static func ephemeralRangeStart() -> Int {
        let text = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)
        let first = text?.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) }
        guard let first, first > 11_000 else { return 32_768 }
        return first
    }
}

enum RestartablePortError: Error {
    case noneFree(Range<Int>)
}
