import Crypto
import Synchronization

/// HMAC states already keyed with a provider's secret, copied for each callback: keying (padding
/// the key and hashing both pads) was half the cost of checking a Twilio signature in profiles.
/// Copies are independent (the digest contexts are copy-on-write).
final class KeyedHMACs<H: HashFunction>: Sendable {
    private let states = Mutex<[String: HMAC<H>]>([:])
    /// Secrets are a handful per route file; the map is emptied should reloads ever pile up more.
    private let limit = 256

    /// The same state as `HMAC<H>(key: SymmetricKey(data: Array(secret.utf8)))`.
    func keyed(_ secret: String) -> HMAC<H> {
        if let ready = states.withLock({ $0[secret] }) { return ready }
        let ready = HMAC<H>(key: SymmetricKey(data: Array(secret.utf8)))
        states.withLock { states in
            if states.count >= limit { states.removeAll() }
            states[secret] = ready
        }
        return ready
    }
}

/// The keyed states of the hash functions providers sign with.
enum KeyedHMAC {
    static let sha1 = KeyedHMACs<Insecure.SHA1>()
    static let sha256 = KeyedHMACs<SHA256>()
}
