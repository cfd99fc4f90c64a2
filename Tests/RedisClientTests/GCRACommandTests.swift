import InletModel
import NIOCore
import RedisClient
import Testing

@testable import RateLimit

@Suite struct GCRACommandTests {
    /// The command written from its constant head must be the bytes of the plain String encoding.
    @Test func matchesTheEncodingOfItsArguments() {
        for policy in [RateLimitPolicy(perSecond: 20, burst: 10), RateLimitPolicy(perSecond: 0.001, burst: 1_000_000)] {
            let gcra = GCRA(policy: policy)
            for cost in [0, 1, 9, 10, 123_456] {
                var expected = ByteBuffer()
                RESPCommandEncoder.encode(
                    ["EVALSHA", GCRAScript.sha1, "1", "inlet:rl:{té:s}", String(gcra.emissionIntervalMicroseconds),
                     String(gcra.toleranceMicroseconds), String(cost)],
                    into: &expected
                )
                #expect(GCRACommand.encode(key: "inlet:rl:{té:s}", gcra: gcra, cost: cost) == expected)
            }
        }
    }

    @Test func writesIntegersInDecimal() {
        for value: Int64 in [0, 7, 10, -1, -42, 1_000_000_000_000, .max, .min] {
            var ours = ByteBuffer()
            RESPCommandEncoder.writeBulkString(decimal: value, into: &ours)
            var expected = ByteBuffer()
            RESPCommandEncoder.writeBulkString(String(value), into: &expected)
            #expect(ours == expected, "\(value)")
        }
    }
}
