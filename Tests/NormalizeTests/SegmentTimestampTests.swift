import Foundation
import Normalize
import InletModel
import Testing

@Suite struct SegmentTimestampTests {
    static let base = 1_704_164_645.0

    @Test(arguments: [
        ("2024-01-02T03:04:05Z", base),
        ("2024-01-02T03:04:05.678Z", base + 0.678),
        ("2024-01-02T03:04:05.6Z", base + 0.6),
        ("2024-01-02T03:04:05.678901+00:00", base + 0.678901),
        ("2024-01-02T03:04:05.123456789Z", base + 0.123456789),
        ("2024-01-02T08:34:05+05:30", base),
        ("2024-01-02T08:34:05+0530", base),
        ("2024-01-01T22:04:05-05", base),
        ("2024-01-02t03:04:05z", base),
        ("2024-01-02 03:04:05Z", base),
        ("2024-01-02T03:04:05", base),
        ("2024-01-02T03:04:05,5Z", base + 0.5),
        ("2024-02-29T00:00:00Z", 1_709_164_800),
        ("1970-01-01T00:00:00Z", 0),
        ("1969-12-31T23:59:59Z", -1),
        ("2016-12-31T23:59:60Z", 1_483_228_799),
    ])
    func parsesTheFormsSDKsSend(_ text: String, _ seconds: Double) throws {
        let date = try #require(ISO8601Timestamp.parse(text))
        #expect(abs(date.timeIntervalSince1970 - seconds) < 1e-6)
    }

    @Test(arguments: [
        "", "2024", "2024-01-02", "2024-01-02T03:04Z", "2024-1-2T03:04:05Z", "2024-13-02T03:04:05Z",
        "2023-02-29T00:00:00Z", "2024-04-31T00:00:00Z", "2024-01-02T24:00:00Z", "2024-01-02T03:60:00Z",
        "2024-01-02T03:04:61Z", "2024-01-02T03:04:05.Z", "2024-01-02T03:04:05ZZ", "2024-01-02T03:04:05+5:30",
        "2024-01-02T03:04:05+24:00", "2024-01-02T03:04:05+05:3", "2024-01-02T03:04:05 ", " 2024-01-02T03:04:05Z",
        "yesterday", "1704164645", "2024-01-02T03:04:05Z\u{0}", "２０２４-01-02T03:04:05Z",
    ])
    func rejectsAnythingElse(_ text: String) {
        #expect(ISO8601Timestamp.parse(text) == nil)
    }
}

/// The normaliser reads a timestamp string equal to the previous event's once per request:
/// every event's document must be byte for byte what normalising that event alone gives.
@Suite struct SegmentTimestampReuseTests {
    static let events = [
        #"{"type":"track","userId":"u","event":"A","messageId":"m0","timestamp":"2024-01-02T03:04:05.678Z","sentAt":"2024-01-02T03:04:06Z"}"#,
        #"{"type":"track","userId":"u","event":"A","messageId":"m1","timestamp":"2024-01-02T03:04:05.678Z","sentAt":"2024-01-02T03:04:06Z"}"#,
        #"{"type":"track","userId":"u","event":"A","messageId":"m2","timestamp":"2024-01-02T03:04:05.679Z","sentAt":"2024-01-02T03:04:06Z"}"#,
        #"{"type":"track","userId":"u","event":"A","messageId":"m3","timestamp":"not a time","sentAt":"2024-01-02T03:04:06Z"}"#,
        #"{"type":"track","userId":"u","event":"A","messageId":"m4","timestamp":"not a time","sentAt":"2024-01-02T03:04:07Z"}"#,
        #"{"type":"track","userId":"u","event":"A","messageId":"m5","originalTimestamp":"2024-01-02T03:04:05.678Z"}"#,
        #"{"type":"track","userId":"u","event":"A","messageId":"m6","timestamp":null,"originalTimestamp":"2024-01-02T03:04:05.678Z","sentAt":"2024-01-02T03:04:06Z"}"#,
        #"{"type":"track","userId":"u","event":"A","messageId":"m7","timestamp":"2024-01-02T03:04:05.678Z","sentAt":"2024-01-02T03:04:06Z"}"#,
    ]

    @Test func batchDocumentsEqualEachEventAlone() throws {
        let batch = try SegmentFixture.normalize(#"{"batch":["# + Self.events.joined(separator: ",") + "]}", .batch)
        var accepted = batch.accepted.makeIterator()
        for (index, event) in Self.events.enumerated() {
            let alone = try SegmentFixture.normalize(#"{"batch":["# + event + "]}", .batch)
            if let expected = alone.accepted.first {
                let next = accepted.next()
                let got = try #require(next)
                #expect(got.index == index)
                #expect(got.bson == expected.bson)
            } else {
                #expect(batch.rejected.contains { $0.index == index && $0.code == alone.rejected.first?.code })
            }
        }
        #expect(accepted.next() == nil)
        #expect(batch.rejected.count == 2)
    }
}
