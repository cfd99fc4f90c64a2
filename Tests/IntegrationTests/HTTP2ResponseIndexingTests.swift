import NIOCore
import NIOHPACK
import Testing

@testable import InletServer

/// Response fields with ever-changing values are indexed once per connection (to put their name in
/// the HPACK dynamic table), then sent as unindexed literals; every other field is indexed.
@Suite("HTTP/2 response fields: HPACK indexing per connection")
struct HTTP2ResponseIndexingTests {
    private func makeConnection() -> HTTP2RequestHandler {
        HTTP2RequestHandler(idleTimeout: .seconds(60), drainDeadline: .seconds(1), connectionWindowSize: 65_535) { _ in
            preconditionFailure("no exchange is made here")
        }
    }

    @Test(arguments: ["x-request-id", "ratelimit-remaining", "ratelimit-reset", "retry-after"])
    func changingFieldIndexedOnceThenNot(_ name: String) {
        let connection = makeConnection()
        #expect(connection.indexing(of: name) == .indexable)
        #expect(connection.indexing(of: name) == .nonIndexable)
        #expect(connection.indexing(of: name) == .nonIndexable)
        // Another connection has its own HPACK table.
        #expect(makeConnection().indexing(of: name) == .indexable)
    }

    @Test("each changing field is indexed once on its own, whatever came before it")
    func fieldsAreIndependent() {
        let connection = makeConnection()
        #expect(connection.indexing(of: "x-request-id") == .indexable)
        #expect(connection.indexing(of: "retry-after") == .indexable)
        #expect(connection.indexing(of: "x-request-id") == .nonIndexable)
        #expect(connection.indexing(of: "ratelimit-reset") == .indexable)
    }

    @Test(arguments: ["content-type", "content-length", "ratelimit-limit"])
    func stableFieldAlwaysIndexed(_ name: String) {
        let connection = makeConnection()
        #expect(connection.indexing(of: name) == .indexable)
        #expect(connection.indexing(of: name) == .indexable)
    }
}
