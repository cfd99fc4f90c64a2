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

    @Test("the pool's words are not all alike (a broken refill would repeat zeros)")
    func poolIsRandom() {
        let words = (0..<600).map { _ in EntropyPool.nextPair() }.flatMap { [$0.0, $0.1] }
        #expect(Set(words).count == words.count)
    }
}
