import Testing

@testable import MongoStore

@Suite("Moving ring buffer")
struct MovingRingBufferTests {
    final class Box {
        let value: Int
        init(_ value: Int) { self.value = value }
    }

    @Test("first in, first out through growth and wrap-around; prepended elements come first")
    func keepsOrder() {
        var buffer = MovingRingBuffer<Int>(initialCapacity: 2)
        var expected: [Int] = []
        var next = 0
        for round in 0..<50 {
            for _ in 0..<(round % 7 + 1) {
                buffer.append(next)
                expected.append(next)
                next += 1
            }
            if round % 3 == 0 {
                buffer.prepend(-round)
                expected.insert(-round, at: 0)
            }
            for _ in 0..<(round % 5) where !expected.isEmpty {
                #expect(buffer.removeFirst() == expected.removeFirst())
            }
            #expect(buffer.count == expected.count)
        }
        buffer.append(contentsOf: [1000, 1001])
        expected += [1000, 1001]
        while !buffer.isEmpty { #expect(buffer.removeFirst() == expected.removeFirst()) }
        #expect(expected.isEmpty)
    }

    @Test("a removed element is moved out: the buffer keeps no reference to it")
    func removalMoves() {
        var buffer = MovingRingBuffer<Box>(initialCapacity: 1)
        for value in 0..<5 { buffer.append(Box(value)) }
        buffer.prepend(Box(-1))
        for value in -1..<5 {
            var removed = buffer.removeFirst()
            #expect(removed.value == value)
            #expect(isKnownUniquelyReferenced(&removed))
        }
    }
}
