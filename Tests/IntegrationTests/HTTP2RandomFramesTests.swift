import NIOCore
import Testing

/// The C session and the callbacks around it meet whatever a client sends: frames of every type,
/// flag and length on streams open, closed and never opened, requests cut short, bytes that are not
/// frames at all. Seeded, so a failure can be replayed. The server must not crash or answer `5xx`
/// to any of it, every answer it does send must decode, and a legitimate client is still served.
@Suite("HTTP/2: random frames against the session's callbacks")
struct HTTP2RandomFramesTests {
    /// SplitMix64: small, seedable, the same sequence on every platform.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test("80 connections of random frames: no crash, no 5xx, every answer decodes, a legitimate client is served")
    func randomFrames() async throws {
        let server = try await TestFrontDoor.start { $0.maxContinuationFrames = 3 }
        defer { Task { await server.frontDoor.drain() } }
        var random = SeededGenerator(state: 0x1A1E7)
        for connection in 0..<80 {
            let client = try await HTTP2RawClient.connect(port: server.port, group: server.group)
            var session = RandomSession(disorder: Double.random(in: 0...0.3, using: &random))
            let frames = (0..<Int.random(in: 4...24, using: &random)).map { _ in session.frame(using: &random) }
            await client.flood(frames, perWrite: Int.random(in: 1...6, using: &random))
            _ = await client.waitForFrame(limit: .milliseconds(150)) { $0.isGoAway }
            let received = client.frames
            #expect(!client.decodeFailed, "connection \(connection): an answer did not decode: \(received)")
            #expect(!received.contains { $0.status?.hasPrefix("5") == true }, "connection \(connection): \(received)")
            await client.close()
        }
        try await expectLegitimateClientServed(server)
    }

    /// A client that mostly keeps to the protocol, so that requests open, carry bodies, get
    /// answered and close, and now and then (`disorder`: the share of such frames) sends anything:
    /// a frame of any type, flags and payload on any stream, or bytes that are no frame.
    struct RandomSession {
        let disorder: Double
        var nextStream: UInt32 = 1
        var open: [UInt32] = []

        mutating func frame(using random: inout SeededGenerator) -> [UInt8] {
            if Double.random(in: 0..<1, using: &random) < disorder { return Self.anything(using: &random) }
            switch Int.random(in: 0..<8, using: &random) {
            case 0, 1, 2:
                let stream = nextStream
                nextStream += 2
                let path = ["/echo", "/echo-large", "/slow?ms=1", "/nowhere"].randomElement(using: &random)!
                let endStream = path.hasPrefix("/slow") || Int.random(in: 0..<4, using: &random) == 0
                if !endStream { open.append(stream) }
                return H2.request(stream, method: path.hasPrefix("/slow") ? "GET" : "POST", path: path, endStream: endStream)
            case 3, 4, 5:
                guard let stream = open.randomElement(using: &random) else { return H2.ping(random.next()) }
                let endStream = Bool.random(using: &random)
                if endStream { open.removeAll { $0 == stream } }
                let body = (0..<Int.random(in: 0...1500, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
                return H2.data(stream, body, endStream: endStream)
            case 6:
                guard let stream = open.randomElement(using: &random) else { return H2.settings([(0x3, 50)]) }
                open.removeAll { $0 == stream }
                return H2.rstStream(stream)
            default:
                return H2.ping(random.next())
            }
        }

        static func anything(using random: inout SeededGenerator) -> [UInt8] {
            if Int.random(in: 0..<5, using: &random) == 0 {
                return (0..<Int.random(in: 1...40, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            }
            let stream = [0, 1, 2, 3, UInt32.random(in: 1...0x7FFF_FFFF, using: &random)].randomElement(using: &random)!
            let payload = (0..<Int.random(in: 0...64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            return H2.frame(type: UInt8.random(in: 0...12, using: &random), flags: UInt8.random(in: 0...255, using: &random),
                            stream: stream, payload: payload)
        }
    }
}
