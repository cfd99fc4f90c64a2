import Crypto
import Testing

@testable import InletAuth

@Suite("Keyed HMAC states")
struct KeyedHMACTests {
    @Test("each copy of a keyed state computes the MAC a fresh HMAC computes, whatever was fed to earlier copies")
    func copiesAreIndependent() {
        let messages: [[UInt8]] = [Array("first".utf8), Array("second, longer than a block of sixty-four bytes".utf8), [], Array("first".utf8)]
        for secret in ["token", "another token", String(repeating: "k", count: 100)] {
            for message in messages {
                var keyed = KeyedHMAC.sha1.keyed(secret)
                keyed.update(data: message)
                let expected = HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: Array(secret.utf8)))
                #expect(Array(keyed.finalize()) == Array(expected))

                var keyed256 = KeyedHMAC.sha256.keyed(secret)
                keyed256.update(data: message)
                #expect(Array(keyed256.finalize()) == Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Array(secret.utf8)))))
            }
        }
    }
}
