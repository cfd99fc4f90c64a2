import CMongoc
import Foundation
import InletModel

/// An owned libbson document. Built once from `BSONWriter`'s bytes (no JSON text in between) and
/// never mutated afterwards, so it can cross threads: the
/// submitter encodes it, a flusher thread hands it to libmongoc.
final class BSONDocument: @unchecked Sendable {
    let pointer: OpaquePointer

    /// Takes ownership of a document from `bson_new()` or a copy.
    init(owning pointer: OpaquePointer) {
        self.pointer = pointer
    }

    /// A copy of `bytes`, one BSON document (as `BSONWriter` writes them).
    convenience init(bytes: [UInt8]) {
        let document = bytes.withUnsafeBufferPointer { bson_new_from_data($0.baseAddress, $0.count) }
        // `nil` only for bytes that are not a document, which BSONWriter never produces.
        self.init(owning: document ?? bson_new()!)
    }

    convenience init(_ object: JSONObject) {
        self.init(bytes: BSONWriter.document(object))
    }

    deinit {
        bson_destroy(pointer)
    }

    /// The encoded size in bytes, for the batcher's byte limit.
    var byteCount: Int { Int(inlet_bson_length(pointer)) }

    /// The document read back into a `JSONObject`.
    func toJSONObject() -> JSONObject {
        BSONDocument.read(pointer)
    }
}

extension BSONDocument {
    /// Runs `body` with an initialised, empty document on aligned scratch storage, for the reply
    /// out-parameters of libmongoc calls (which re-initialise it); destroyed afterwards.
    static func withReply<Result>(_ body: (OpaquePointer) throws -> Result) rethrows -> Result {
        let reply = inlet_bson_storage_new()!
        bson_init(reply)
        defer {
            bson_destroy(reply)
            inlet_aligned_free(UnsafeMutableRawPointer(reply))
        }
        return try body(reply)
    }
}
