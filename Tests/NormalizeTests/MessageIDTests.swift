import Testing

@testable import Normalize

@Suite("Generated messageIds")
struct MessageIDTests {
    @Test("version 4 UUIDs in lowercase, distinct across many refills of the entropy pool")
    func uuidV4AndDistinct() {
        var seen = Set<String>()
        for _ in 0..<5_000 {
            let id = MessageID.generate()
            let characters = Array(id)
            #expect(characters.count == 36)
            #expect([8, 13, 18, 23].allSatisfy { characters[$0] == "-" })
            #expect(characters[14] == "4")
            #expect("89ab".contains(characters[19]))
            #expect(id.allSatisfy { "0123456789abcdef-".contains($0) })
            seen.insert(id)
        }
        #expect(seen.count == 5_000)
    }

    /// The ids are written straight into event documents now; the text must not have changed.
    @Test("two words give the same text as before, version and variant bits set")
    func fixedWordsGiveAKnownId() {
        struct Words: RandomNumberGenerator {
            var words: [UInt64] = [0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210]
            mutating func next() -> UInt64 { words.removeFirst() }
        }
        var words = Words()
        #expect(MessageID.generate(using: &words) == "01234567-89ab-4def-bedc-ba9876543210")
    }

    @Test("the pool's words are not all alike (a broken refill would repeat zeros)")
    func poolIsRandom() {
        let words = (0..<600).map { _ in EntropyPool.nextPair() }.flatMap { [$0.0, $0.1] }
        #expect(Set(words).count == words.count)
    }
}
