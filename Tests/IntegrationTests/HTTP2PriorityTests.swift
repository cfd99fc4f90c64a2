import Foundation
import NIOCore
import Testing

/// inlet announces SETTINGS_NO_RFC7540_PRIORITIES = 1 (RFC 9218 §2.1): it keeps no RFC 7540
/// dependency tree. Clients that still send RFC 7540 priority signals must be served as before.
@Suite("HTTP/2 priorities")
struct HTTP2PriorityTests {
    /// SETTINGS_NO_RFC7540_PRIORITIES (RFC 9218 §2.1).
    static let noRFC7540Priorities: UInt16 = 0x9

    @Test("the server's SETTINGS say it keeps no RFC 7540 priority tree")
    func settingsAnnounceNoRFC7540Priorities() async throws {
        let server = try await TestFrontDoor.start()
        defer { Task { await server.frontDoor.drain() } }
        let client = try await HTTP2RawClient.connect(port: server.port, group: server.group)
        let settings = try #require(client.frames.first { $0.type == H2.T.settings && $0.flags & H2.ack == 0 })
        #expect(Self.values(settings)[Self.noRFC7540Priorities] == 1, "SETTINGS: \(Self.values(settings))")
        await client.close()
    }

    @Test("requests carrying RFC 7540 priority signals are answered: HEADERS with PRIORITY, PRIORITY frames, dependencies on other streams")
    func priorityAnnotatedRequestsAreAnswered() async throws {
        let server = try await TestFrontDoor.start()
        defer { Task { await server.frontDoor.drain() } }
        let client = try await HTTP2RawClient.connect(port: server.port, group: server.group)
        // Stream 1: HEADERS with the PRIORITY flag (exclusive dependency on stream 0, weight 200).
        let prioritized = [0x80, 0, 0, 0, 200] + H2.requestBlock(method: "GET", path: "/elsewhere")
        try await client.write(H2.frame(type: H2.T.headers, flags: H2.endStream | H2.endHeaders | H2.priority, stream: 1, payload: prioritized))
        // Stream 3: a PRIORITY frame first (depending on stream 1), then its request.
        try await client.write(H2.frame(type: H2.T.priority, stream: 3, payload: H2.bigEndian(1) + [15]))
        try await client.write(H2.request(3, path: "/elsewhere"))
        // A PRIORITY frame for a stream that is never opened.
        try await client.write(H2.frame(type: H2.T.priority, stream: 5, payload: H2.bigEndian(3) + [0]))
        try await client.write(H2.request(7, path: "/elsewhere"))
        for stream: UInt32 in [1, 3, 7] {
            let answer = await client.waitForFrame { $0.stream == stream && $0.headers != nil }
            #expect(answer?.status == "204", "stream \(stream): \(client.frames)")
        }
        #expect(!client.frames.contains { $0.isGoAway || $0.type == H2.T.rstStream }, "frames: \(client.frames)")
        await client.close()
    }

    /// A SETTINGS payload as identifier → value.
    static func values(_ frame: HTTP2RawClient.Frame) -> [UInt16: UInt32] {
        var values: [UInt16: UInt32] = [:]
        var offset = 0
        while offset + 6 <= frame.payload.count {
            values[UInt16(frame.payload[offset]) << 8 | UInt16(frame.payload[offset + 1])] = H2.uint32(frame.payload, at: offset + 2)
            offset += 6
        }
        return values
    }
}
