import CMongoc
import Foundation

/// The parts of a write's reply the store acts on (a libmongoc bulk's, or the server's reply to an
/// `insert` command; see `Shape`), read straight from the reply with
/// `bson_iter`: a flush reads the counts, the write errors' index, code and message, and whether
/// there is a write-concern error, and nothing else (reading the whole reply into a `JSONObject`
/// first showed in profiles of duplicate callbacks, where every write comes back as an error).
struct BulkReply {
    struct WriteError: Equatable {
        var code: Int
        /// The server's `errmsg`; empty for a duplicate key (11000), which the store answers as a
        /// duplicate and never shows, so its long message is not copied out of the reply.
        var message: String
    }

    /// Which reply is read: the two name their count and write-concern error differently.
    enum Shape {
        /// libmongoc's bulk reply: `nInserted`, `nMatched`, `nUpserted`, `writeConcernErrors` (an array).
        case bulk
        /// The server's reply to an `insert` command: `n` inserted, `writeConcernError` (a document).
        case insertCommand
    }

    /// MongoDB's duplicate-key error code.
    static let duplicateKeyCode = 11000

    var inserted = 0
    var matched = 0
    var upserted = 0
    /// By the operation's index in the bulk: one entry per operation, `nil` without an error.
    private(set) var writeErrors: [WriteError?]
    /// Every write error the reply lists, including any whose index names no operation.
    private(set) var writeErrorCount = 0
    var hasWriteConcernError = false

    /// Nothing counted and no error of any operation: what a bulk that reached no server returns.
    var confirmedNothing: Bool {
        inserted + matched + upserted == 0 && writeErrorCount == 0 && !hasWriteConcernError
    }

    /// The write error of the operation at `operation` in the bulk, if it has one.
    func writeError(operation: Int) -> WriteError? {
        writeErrorCount == 0 || !writeErrors.indices.contains(operation) ? nil : writeErrors[operation]
    }

    /// Reads `reply`, the reply document of a bulk of `operations` operations. Of a field given
    /// twice the first counts; numbers may be int32, int64 or double.
    init(_ reply: OpaquePointer, operations: Int, shape: Shape = .bulk) {
        writeErrors = []
        let size = inlet_bson_iter_size()
        // Three levels deep at most: the reply, its writeErrors array, one error document.
        self = withUnsafeTemporaryAllocation(byteCount: 3 * size, alignment: inlet_bson_iter_alignment()) { storage in
            let base = storage.baseAddress!
            return BulkReply(reading: reply, operations: operations, shape: shape,
                             iterators: (OpaquePointer(base), OpaquePointer(base + size), OpaquePointer(base + 2 * size)))
        }
    }

    private init(reading reply: OpaquePointer, operations: Int, shape: Shape, iterators: (OpaquePointer, OpaquePointer, OpaquePointer)) {
        writeErrors = []
        let (top, array, element) = iterators
        guard bson_iter_init(top, reply) else { return }
        let insertedKey: StaticString = shape == .bulk ? "nInserted" : "n"
        var seen = (inserted: false, matched: false, upserted: false, errors: false, concern: false)
        while bson_iter_next(top) {
            if !seen.inserted, Self.key(top, is: insertedKey) {
                seen.inserted = true
                if let value = Self.integer(top) { inserted = value }
            } else if !seen.matched, Self.key(top, is: "nMatched") {
                seen.matched = true
                if let value = Self.integer(top) { matched = value }
            } else if !seen.upserted, Self.key(top, is: "nUpserted") {
                seen.upserted = true
                if let value = Self.integer(top) { upserted = value }
            } else if !seen.errors, Self.key(top, is: "writeErrors") {
                seen.errors = true
                guard bson_iter_type(top) == BSON_TYPE_ARRAY, bson_iter_recurse(top, array) else { continue }
                while bson_iter_next(array) {
                    guard bson_iter_type(array) == BSON_TYPE_DOCUMENT, bson_iter_recurse(array, element) else { continue }
                    readWriteError(element, operations: operations)
                }
            } else if !seen.concern, shape == .bulk, Self.key(top, is: "writeConcernErrors") {
                seen.concern = true
                if bson_iter_type(top) == BSON_TYPE_ARRAY, bson_iter_recurse(top, array), bson_iter_next(array) {
                    hasWriteConcernError = true
                }
            } else if !seen.concern, shape == .insertCommand, Self.key(top, is: "writeConcernError") {
                seen.concern = true
                // Whatever its type: a reply naming one has not confirmed the write concern.
                hasWriteConcernError = bson_iter_type(top) != BSON_TYPE_NULL
            }
        }
    }

    /// One element of `writeErrors`: `{index, code, errmsg}`; one without an index is skipped.
    private mutating func readWriteError(_ iterator: OpaquePointer, operations: Int) {
        var index: Int?
        var errorCode: Int?
        var message: String?
        var seen = (index: false, code: false, message: false)
        while bson_iter_next(iterator) {
            if !seen.index, Self.key(iterator, is: "index") {
                seen.index = true
                index = Self.integer(iterator)
            } else if !seen.code, Self.key(iterator, is: "code") {
                seen.code = true
                errorCode = Self.integer(iterator)
            } else if !seen.message, Self.key(iterator, is: "errmsg") {
                seen.message = true
                message = Self.string(iterator)
            }
        }
        guard let index else { return }
        writeErrorCount += 1
        guard index >= 0, index < operations else { return }
        if writeErrors.isEmpty { writeErrors = Array(repeating: nil, count: operations) }
        let code = errorCode ?? 0
        writeErrors[index] = WriteError(code: code, message: code == Self.duplicateKeyCode ? "" : message ?? "write error \(code)")
    }

    /// Whether the current element's key is `name`, compared as bytes.
    private static func key(_ iterator: OpaquePointer, is name: StaticString) -> Bool {
        Int(bson_iter_key_len(iterator)) == name.utf8CodeUnitCount
            && memcmp(bson_iter_key(iterator), name.utf8Start, name.utf8CodeUnitCount) == 0
    }

    /// An int32, int64 or double as an `Int` (a double rounded toward zero); `nil` for any other
    /// type, or a double that is no integer's.
    private static func integer(_ iterator: OpaquePointer) -> Int? {
        switch bson_iter_type(iterator) {
        case BSON_TYPE_INT32: return Int(bson_iter_int32(iterator))
        case BSON_TYPE_INT64: return Int(bson_iter_int64(iterator))
        case BSON_TYPE_DOUBLE:
            let value = bson_iter_double(iterator)
            return value.isFinite && abs(value) < 9.2e18 ? Int(value) : nil
        default: return nil
        }
    }

    private static func string(_ iterator: OpaquePointer) -> String? {
        guard bson_iter_type(iterator) == BSON_TYPE_UTF8 else { return nil }
        var length: UInt32 = 0
        guard let bytes = bson_iter_utf8(iterator, &length) else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: bytes, count: Int(length)), as: UTF8.self)
    }
}
