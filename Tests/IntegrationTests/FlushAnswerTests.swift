import InletModel
import NIOConcurrencyHelpers
import NIOCore
import Testing

@testable import MongoStore

/// How a flush splits its batch into bulks and records its outcomes, without MongoDB.
@Suite("Flush grouping and answers")
struct FlushAnswerTests {
    private func pending(_ collection: String, _ submission: Submission, _ index: Int) -> GroupCommitStateMachine.Pending {
        let now = NIODeadline.now()
        return .init(write: EncodedWrite(.insert(collection, ["n": .int(Int64(index))])), submission: submission, index: index,
                     enqueuedAt: now, deadline: now + .seconds(5))
    }

    @Test("one collection is one group; several keep the order they first appear in")
    func groupsByCollection() {
        let submission = Submission(count: 5) { _ in }
        let single = (0..<3).map { pending("events", submission, $0) }
        #expect(MongoStore.collectionGroups(single).map(\.collection) == ["events"])
        #expect(MongoStore.collectionGroups(single).map(\.positions) == [[0, 1, 2]])
        let mixed = [pending("events", submission, 0), pending("userDetails", submission, 1), pending("events", submission, 2),
                     pending("userAttributes", submission, 3), pending("userDetails", submission, 4)]
        let groups = MongoStore.collectionGroups(mixed)
        #expect(groups.map(\.collection) == ["events", "userDetails", "userAttributes"])
        #expect(groups.map(\.positions) == [[0, 2], [1, 4], [3]])
        #expect(MongoStore.collectionGroups([]).isEmpty)
    }

    @Test("outcomes recorded together answer once, when the last arrives; the first outcome of a write wins")
    func recordsRunsOfOutcomes() {
        let answers = NIOLockedValueBox<[[StoreOutcome]]>([])
        let submission = Submission(count: 3) { outcomes in answers.withLockedValue { $0.append(outcomes) } }
        #expect(!submission.record([(index: 0, outcome: StoreOutcome.stored), (index: 2, outcome: .stored)]))
        #expect(!submission.record([(index: 2, outcome: StoreOutcome.failed(reason: "late"))]))
        submission.complete()
        #expect(answers.withLockedValue { $0 }.isEmpty, "completed before its last outcome")
        #expect(submission.record([(index: 1, outcome: StoreOutcome.duplicate), (index: 0, outcome: .failed(reason: "late"))]))
        submission.complete()
        submission.complete()
        #expect(answers.withLockedValue { $0 } == [[.stored, .duplicate, .stored]], "answered once")
        #expect(!submission.record([(index: 1, outcome: StoreOutcome.stored)]))
    }

    @Test("a submission of more than 64 writes keeps track of each one (the first outcome of a write wins)")
    func recordsLargeSubmissions() {
        let answers = NIOLockedValueBox<[[StoreOutcome]]>([])
        let count = 130
        let submission = Submission(count: count) { outcomes in answers.withLockedValue { $0.append(outcomes) } }
        #expect(!submission.record((0..<count - 1).map { (index: $0, outcome: StoreOutcome.stored) }))
        #expect(!submission.record([(index: 64, outcome: StoreOutcome.failed(reason: "late"))]))
        #expect(submission.record([(index: count - 1, outcome: StoreOutcome.duplicate)]))
        submission.complete()
        let expected = Array(repeating: StoreOutcome.stored, count: count - 1) + [.duplicate]
        #expect(answers.withLockedValue { $0 } == [expected])
    }
}
