/// Comparison of MACs and credentials whose time does not depend on where the inputs differ, so
/// an attacker cannot learn a valid signature byte by byte from response times.
enum ConstantTime {
    /// Lengths are not secret (a MAC's length is public), so a length mismatch returns at once.
    static func equal<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}
