import Logging
import Metrics
import NIOCore
import Testing

@testable import InletServer

/// Response fields with ever-changing values are indexed once per connection (to put their name in
/// the HPACK dynamic table), then sent as unindexed literals; every other field is indexed.
@Suite("HTTP/2 response fields: HPACK indexing per connection")
struct HTTP2ResponseIndexingTests {
    private func makeConnection() -> HTTP2RequestHandler {
        HTTP2RequestHandler(limits: FrontDoorConfiguration(), protocolErrors: Counter(label: "test_h2_errors"),
                            logger: Logger(label: "test.h2")) { _ in
            preconditionFailure("no exchange is made here")
        }
    }

    @Test(arguments: ["x-request-id", "ratelimit-remaining", "ratelimit-reset", "retry-after"])
    func changingFieldIndexedOnceThenNot(_ name: String) {
        let connection = makeConnection()
        #expect(connection.indexes(name))
        #expect(!connection.indexes(name))
        #expect(!connection.indexes(name))
        // Another connection has its own HPACK table.
        #expect(makeConnection().indexes(name))
    }

    @Test("each changing field is indexed once on its own, whatever came before it")
    func fieldsAreIndependent() {
        let connection = makeConnection()
        #expect(connection.indexes("x-request-id"))
        #expect(connection.indexes("retry-after"))
        #expect(!connection.indexes("x-request-id"))
        #expect(connection.indexes("ratelimit-reset"))
    }

    /// HTTP/2 field names are lowercase (RFC 9113 §8.2.1); endpoints may name a field as HTTP/1.1
    /// spells it (`Retry-After`), and clients refuse a response that keeps the capitals.
    @Test("response field names go out lowercase, already-lowercase ones unchanged")
    func responseFieldNamesAreLowercased() {
        #expect(HTTP2RequestHandler.lowercased("Retry-After") == "retry-after")
        #expect(HTTP2RequestHandler.lowercased("RateLimit-Remaining") == "ratelimit-remaining")
        #expect(HTTP2RequestHandler.lowercased("X-REQUEST-ID") == "x-request-id")
        #expect(HTTP2RequestHandler.lowercased("content-type") == "content-type")
        #expect(HTTP2RequestHandler.lowercased("") == "")
    }

    @Test(arguments: ["content-type", "content-length", "ratelimit-limit"])
    func stableFieldAlwaysIndexed(_ name: String) {
        let connection = makeConnection()
        #expect(connection.indexes(name))
        #expect(connection.indexes(name))
    }
}
