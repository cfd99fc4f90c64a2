import Foundation
import InletModel
@testable import InletServer
import Logging
import MongoStore
import NIOCore
import NIOPosix
import Normalize
import Testing

/// The import session's back-pressure against the real SecantusDB. One chunk of a body can hold
/// several batches of rows (an HTTP/1.1 read is handed over in 64 KiB slices, and short rows make
/// several batches of one slice); the session must still hold the upload until fewer than
/// `maxBatchesInFlight` batches are unconfirmed. Waiting for the oldest batch alone left the
/// surplus of every chunk behind: the store's queue grew until its writes expired (issue 7).
@Suite("Import back-pressure")
struct ImportBackPressureTests {
    @Test("a chunk that makes several batches is consumed only once fewer than maxBatchesInFlight are unconfirmed")
    func chunksOfSeveralBatches() async throws {
        var configuration = MongoStore.Configuration.sharedServer
        // One import batch per bulk write: batches are confirmed one at a time, so a pile-up
        // cannot hide inside a larger bulk.
        configuration.maxBatchCount = ImportSession.batchSize
        // A loop of its own: parsing and encoding thousands of rows per chunk (slow in debug
        // builds) must not hold up the shared loops other tests' Redis clients time out on.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        try await MongoStoreTests.withStore(configuration) { store in
            let eventLoop = group.next()
            let context = ImportContext(tenantId: "acme", sourceId: "acme-partner", importId: "imp_backpressure",
                                        idempotencyKey: "imp_backpressure", receivedAt: Date())
            let session = try await eventLoop.submit {
                ImportSession(kind: .users, format: .csv, context: context, store: store, metrics: ImportMetrics(),
                              triggerRules: [], triggersStored: {}, eventLoop: eventLoop, logger: Logger(label: "test.import"))
            }.get()

            let chunks = 6
            let rowsPerChunk = 3 * ImportSession.batchSize + 100
            var user = 0
            for index in 0..<chunks {
                var text = index == 0 ? "userId,plan\n" : ""
                for _ in 0..<rowsPerChunk {
                    text += "u\(user),pro\n"
                    user += 1
                }
                let chunk = ByteBuffer(string: text)
                let result = try await eventLoop.flatSubmit { session.consume(chunk) }.get()
                guard case .more = result else {
                    Issue.record("chunk \(index) was answered: \(result)")
                    return
                }
                let unconfirmed = try await eventLoop.submit { session.batchesInFlight }.get()
                #expect(unconfirmed < ImportSession.maxBatchesInFlight, "after chunk \(index)")
            }

            let answer = try await eventLoop.flatSubmit { session.finish() }.get()
            #expect(answer.status == .ok)
            let summary = try JSONParser.parse(answer.body)
            #expect(summary["rowsImported"]?.numberValue == Double(chunks * rowsPerChunk))
            #expect(try await store.count(Collections.userDetails, ) == chunks * rowsPerChunk)
        }
        try await group.shutdownGracefully()
    }
}
