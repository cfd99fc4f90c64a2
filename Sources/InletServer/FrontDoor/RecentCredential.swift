import Crypto

/// The last `Authorization` value a connection's requests carried, with the digest of the write
/// key it holds: SDKs send the same header on every request, and decoding it (base64) and
/// hashing the key (SHA-256) for each was ~4 % of the track scenario's event-loop time.
///
/// Per connection and used on its event loop only, like `RecentFieldStrings` (which already
/// keeps the header's text for the connection's next request), so one client's credential is
/// never matched against another's. Only the digest is derived and kept; the key cache still
/// answers every request, so revocation and expiry work as before.
final class RecentCredential: @unchecked Sendable {
    private var header: String?
    private var digest: SHA256Digest?

    /// The digest remembered for `header`, if it is the header seen last. The header usually is
    /// the very string seen last (`RecentFieldStrings`), which compares without reading its bytes.
    func digest(for header: String) -> SHA256Digest? {
        self.header == header ? digest : nil
    }

    func remember(_ digest: SHA256Digest, for header: String) {
        self.header = header
        self.digest = digest
    }
}
