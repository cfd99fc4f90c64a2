import Crypto
import Foundation
import InletModel

/// Issues, lists and revokes write keys. Only a key's SHA-256 hash and a short prefix are
/// stored: a leaked database does not leak working keys, and the raw key is shown once, by `create`.
public struct APIKeyStore: Sendable {
    /// Characters of a key kept as its prefix: enough to tell keys apart, far too few to guess the rest.
    public static let prefixLength = 10

    let store: MongoStore

    public init(store: MongoStore) {
        self.store = store
    }

    /// The hex SHA-256 of a raw key: what is stored and looked up.
    public static func hash(_ rawKey: String) -> String {
        hex(digest(rawKey))
    }

    /// The SHA-256 of a raw key, not yet in hex: `APIKeyCache` keys its entries by it, so a cached
    /// key costs no hex string (an allocation, and 64 characters to hash for the dictionary).
    public static func digest(_ rawKey: String) -> SHA256Digest {
        var key = rawKey
        return key.withUTF8 { SHA256.hash(data: $0) }
    }

    /// A digest as stored: lowercase hex.
    static func hex(_ digest: SHA256Digest) -> String {
        // Hex by hand: one string per byte showed in profiles.
        String(unsafeUninitializedCapacity: SHA256.byteCount * 2) { buffer in
            var index = 0
            for byte in digest {
                buffer[index] = hexDigits[Int(byte >> 4)]
                buffer[index + 1] = hexDigits[Int(byte & 0x0F)]
                index += 2
            }
            return index
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Creates a key for `sourceId` of `tenantId` and returns it; it cannot be read back later.
    public func create(tenantId: String, sourceId: String) async throws -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let secret = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        let rawKey = "ik_" + secret
        let document: JSONObject = [
            "hash": .string(Self.hash(rawKey)),
            "prefix": .string(String(rawKey.prefix(Self.prefixLength))),
            "tenantId": .string(tenantId),
            "sourceId": .string(sourceId),
            "createdAt": .date(Date()),
            "revokedAt": .null,
        ]
        switch try await store.insertOne(Collections.apiKeys, document) {
        case .stored:
            return rawKey
        case .duplicate, .failed:
            throw MongoStoreError(code: .server, message: "a key with the same hash exists; create another")
        }
    }

    /// The keys of `tenantId` (all tenants when `nil`), oldest first, without secrets.
    public func list(tenantId: String?) async throws -> [APIKeyRecord] {
        var filter = JSONObject()
        if let tenantId { filter["tenantId"] = .string(tenantId) }
        let documents = try await store.find(Collections.apiKeys, filter: filter, sort: ["createdAt": 1])
        return documents.compactMap(APIKeyRecord.init(document:))
    }

    /// Revokes every active key whose prefix is `prefix`; returns how many. Lookups stop
    /// accepting a revoked key within `APIKeyCache`'s TTL.
    public func revoke(prefix: String) async throws -> Int {
        let active = try await store.find(Collections.apiKeys, filter: ["prefix": .string(prefix), "revokedAt": .null])
        var revoked = 0
        for document in active {
            guard case .string(let hash) = document["hash"] else { continue }
            let (matched, _) = try await store.updateOne(
                Collections.apiKeys,
                filter: ["hash": .string(hash), "revokedAt": .null],
                update: ["$set": ["revokedAt": .date(Date())]]
            )
            revoked += matched
        }
        return revoked
    }
}
