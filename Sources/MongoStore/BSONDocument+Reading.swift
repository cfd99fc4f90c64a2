import CMongoc
import Foundation
import InletModel

extension BSONDocument {
    /// Reads a document into a `JSONObject`: dates become `.date`, int32/int64 `.int`, ObjectIds
    /// their hex string. Types inlet never writes (binary, regex, decimal128, ...) are read as
    /// their canonical string or `null` rather than failing the whole read.
    static func read(_ document: OpaquePointer) -> JSONObject {
        let iterator = inlet_bson_iter_new()!
        defer { inlet_aligned_free(UnsafeMutableRawPointer(iterator)) }
        guard bson_iter_init(iterator, document) else { return JSONObject() }
        return readObject(iterator)
    }

    private static func readObject(_ iterator: OpaquePointer) -> JSONObject {
        var object = JSONObject()
        while bson_iter_next(iterator) {
            let key = String(cString: bson_iter_key(iterator))
            object.appendUnchecked(key, readValue(iterator))
        }
        return object
    }

    private static func readArray(_ iterator: OpaquePointer) -> [JSONValue] {
        var array: [JSONValue] = []
        while bson_iter_next(iterator) {
            array.append(readValue(iterator))
        }
        return array
    }

    private static func readValue(_ iterator: OpaquePointer) -> JSONValue {
        switch bson_iter_type(iterator) {
        case BSON_TYPE_UTF8:
            var length: UInt32 = 0
            guard let bytes = bson_iter_utf8(iterator, &length) else { return .null }
            let buffer = UnsafeRawBufferPointer(start: bytes, count: Int(length))
            return .string(String(decoding: buffer, as: UTF8.self))
        case BSON_TYPE_INT32:
            return .int(Int64(bson_iter_int32(iterator)))
        case BSON_TYPE_INT64:
            return .int(bson_iter_int64(iterator))
        case BSON_TYPE_DOUBLE:
            return .double(bson_iter_double(iterator))
        case BSON_TYPE_BOOL:
            return .bool(bson_iter_bool(iterator))
        case BSON_TYPE_DATE_TIME:
            return .date(Date(timeIntervalSince1970: Double(bson_iter_date_time(iterator)) / 1000))
        case BSON_TYPE_OID:
            guard let oid = bson_iter_oid(iterator) else { return .null }
            var buffer = [CChar](repeating: 0, count: 25)
            bson_oid_to_string(oid, &buffer)
            return .string(String(cString: buffer))
        case BSON_TYPE_DOCUMENT, BSON_TYPE_ARRAY:
            let child = inlet_bson_iter_new()!
            defer { inlet_aligned_free(UnsafeMutableRawPointer(child)) }
            guard bson_iter_recurse(iterator, child) else { return .null }
            if bson_iter_type(iterator) == BSON_TYPE_ARRAY {
                return .array(readArray(child))
            }
            return .object(readObject(child))
        case BSON_TYPE_TIMESTAMP:
            var timestamp: UInt32 = 0
            var increment: UInt32 = 0
            bson_iter_timestamp(iterator, &timestamp, &increment)
            return .int(Int64(timestamp) << 32 | Int64(increment))
        case BSON_TYPE_DECIMAL128:
            var decimal = bson_decimal128_t()
            guard bson_iter_decimal128(iterator, &decimal) else { return .null }
            var buffer = [CChar](repeating: 0, count: 43)
            bson_decimal128_to_string(&decimal, &buffer)
            return .string(String(cString: buffer))
        default:
            return .null
        }
    }
}
