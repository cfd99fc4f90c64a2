extension JSONTape {
    /// The tape's nodes, in memory the parser appends to and the tape frees.
    ///
    /// An `Array` checked its uniqueness and capacity on every append, and the parser appends a
    /// node per key and per value: those checks were about a fifth of the parser's time on the
    /// bench's batch body (`inlet-bench normalize`). Here an append is a capacity compare and a
    /// store. Reads stay checked against `count`, as an array's are.
    ///
    /// Not a class of its own: the tape (immutable once parsed) owns the memory and frees it
    /// in `deinit`; a parse that fails frees it itself (`JSONParser.tape`).
    struct Nodes {
        private(set) var base: UnsafeMutablePointer<Node>
        private(set) var count = 0
        private var capacity: Int

        init(capacity: Int) {
            self.capacity = max(capacity, 4)
            base = .allocate(capacity: self.capacity)
        }

        @inline(__always)
        mutating func append(_ node: Node) {
            if count == capacity { grow() }
            (base + count).initialize(to: node)
            count += 1
        }

        private mutating func grow() {
            let larger = UnsafeMutablePointer<Node>.allocate(capacity: capacity * 2)
            larger.moveInitialize(from: base, count: count)
            base.deallocate()
            base = larger
            capacity *= 2
        }

        @inline(__always)
        subscript(index: Int) -> Node {
            get {
                precondition(UInt(bitPattern: index) < UInt(bitPattern: count), "JSONTape: node index out of range")
                return base[index]
            }
            set {
                precondition(UInt(bitPattern: index) < UInt(bitPattern: count), "JSONTape: node index out of range")
                base[index] = newValue
            }
        }

        /// Nodes are plain values: nothing to deinitialise, only the memory to free.
        func deallocate() {
            base.deallocate()
        }
    }
}
