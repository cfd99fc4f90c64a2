/// A first-in, first-out buffer that moves elements out as it removes them. NIO's
/// `CircularBuffer.removeFirst` copies the element and then releases the slot; for the store's
/// queued writes that was a retain and a release of each write's document and submission on
/// the way out of the queue (3-4 % of the batch scenario's CPU, from flushers and event loops
/// touching the same reference counts).
struct MovingRingBuffer<Element> {
    private var slots: [Element?]
    private var head = 0
    private(set) var count = 0

    init(initialCapacity: Int = 16) {
        slots = Array(repeating: nil, count: max(initialCapacity, 1))
    }

    var isEmpty: Bool { count == 0 }

    /// Takes `element` over: a value made for the call is moved into its slot, not copied.
    mutating func append(_ element: consuming Element) {
        if count == slots.count { grow() }
        slots[(head + count) % slots.count] = element
        count += 1
    }

    mutating func append(contentsOf elements: [Element]) {
        for element in elements { append(element) }
    }

    mutating func prepend(_ element: Element) {
        if count == slots.count { grow() }
        head = (head + slots.count - 1) % slots.count
        slots[head] = element
        count += 1
    }

    mutating func removeFirst() -> Element {
        precondition(count > 0, "removeFirst on an empty buffer")
        let element = slots[head].take()!
        head = (head + 1) % slots.count
        count -= 1
        return element
    }

    private mutating func grow() {
        var grown: [Element?] = []
        grown.reserveCapacity(slots.count * 2)
        for offset in 0..<count { grown.append(slots[(head + offset) % slots.count].take()) }
        grown.append(contentsOf: repeatElement(nil, count: slots.count * 2 - count))
        slots = grown
        head = 0
    }
}
