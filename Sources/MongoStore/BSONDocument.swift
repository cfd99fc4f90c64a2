import CMongoc
import Foundation
import InletModel

/// An owned libbson document. Built once from a `JSONObject` (directly through libbson's append
/// calls, no JSON text in between) and never mutated afterwards, so it can cross threads: the
/// submitter encodes it, a flusher thread hands it to libmongoc.
final class BSONDocument: @unchecked Sendable {
    let pointer: OpaquePointer

    /// Takes ownership of a document from `bson_new()` or a copy.
    init(owning pointer: OpaquePointer) {
        self.pointer = pointer
    }

    convenience init(_ object: JSONObject) {
        let document = bson_new()!
        BSONDocument.append(object, to: document)
        self.init(owning: document)
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

    static func append(_ object: JSONObject, to document: OpaquePointer) {
        for (key, value) in object {
            append(value, key: key, to: document)
        }
    }

    static func append(_ value: JSONValue, key: String, to document: OpaquePointer) {
        key.withCString { key in
            switch value {
            case .null:
                _ = bson_append_null(document, key, -1)
            case .bool(let bool):
                _ = bson_append_bool(document, key, -1, bool)
            case .int(let int):
                _ = bson_append_int64(document, key, -1, int)
            case .double(let double):
                _ = bson_append_double(document, key, -1, double)
            case .string(let string):
                let length = Int32(clamping: string.utf8.count)
                _ = string.withCString { bson_append_utf8(document, key, -1, $0, length) }
            case .date(let date):
                _ = bson_append_date_time(document, key, -1, milliseconds(date))
            case .object(let object):
                let child = inlet_bson_storage_new()!
                defer { inlet_aligned_free(UnsafeMutableRawPointer(child)) }
                _ = bson_append_document_begin(document, key, -1, child)
                append(object, to: child)
                _ = bson_append_document_end(document, child)
            case .array(let array):
                let child = inlet_bson_storage_new()!
                defer { inlet_aligned_free(UnsafeMutableRawPointer(child)) }
                _ = bson_append_array_begin(document, key, -1, child)
                for (index, element) in array.enumerated() {
                    append(element, key: String(index), to: child)
                }
                _ = bson_append_array_end(document, child)
            }
        }
    }

    /// Milliseconds since the epoch, rounded down, as BSON dates store them.
    static func milliseconds(_ date: Date) -> Int64 {
        let value = (date.timeIntervalSince1970 * 1000).rounded(.down)
        return Int64(exactly: value) ?? (value < 0 ? Int64.min : Int64.max)
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
