import CMongoc

/// Lends libmongoc a document that inlet already encoded, in place: a read-only `bson_t` header
/// (`bson_init_static`) on the stack over the bytes, instead of a heap `bson_t` holding a copy
/// (`bson_new_from_data`: a malloc, a memcpy and a free per write, for a document libmongoc
/// copies again into its bulk command anyway).
///
/// The header lives only inside `body`, and so does the pointer to the bytes: the caller's
/// array stays alive and unchanged for the whole call, and nothing may keep the `bson_t` after
/// it. libmongoc's bulk appends (`mongoc_bulk_operation_insert_with_opts`,
/// `update_one_with_opts`) copy the document into the bulk's command before they return, so
/// the borrowed bytes need outlive only the call that adds them, not the bulk.
enum BorrowedBSON {
    /// Runs `body` with a `bson_t` reading `bytes` in place; `nil` (and `body` not run) when the
    /// bytes are not one document as their length prefix and trailing NUL describe it.
    static func with<Result>(_ bytes: [UInt8], _ body: (OpaquePointer) -> Result) -> Result? {
        bytes.withUnsafeBufferPointer { with($0, body) }
    }

    /// `with`, for a document that is a slice of a larger buffer (an event's, in its request's).
    static func with<Result>(_ bytes: ArraySlice<UInt8>, _ body: (OpaquePointer) -> Result) -> Result? {
        bytes.withUnsafeBufferPointer { with($0, body) }
    }

    static func with<Result>(_ buffer: UnsafeBufferPointer<UInt8>, _ body: (OpaquePointer) -> Result) -> Result? {
        guard let base = buffer.baseAddress else { return nil }
        return withUnsafeTemporaryAllocation(byteCount: inlet_bson_t_size(), alignment: inlet_bson_t_alignment()) { storage in
            let document = OpaquePointer(storage.baseAddress!)
            // Checks the length prefix against the count and the final NUL; reads nothing else.
            guard bson_init_static(document, base, buffer.count) else { return nil }
            // A static bson_t owns nothing: there is nothing to destroy afterwards.
            return body(document)
        }
    }

    /// What `bson_init_static` checks before libmongoc takes a document: the length prefix
    /// matches the bytes, and they end with the document's NUL.
    static func isOneDocument(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.count >= 5 && bytes.last == 0
            && bytes.withUnsafeBytes { Int($0.loadUnaligned(as: Int32.self).littleEndian) } == bytes.count
    }

    /// `document` behind a new ObjectId `_id`, byte for byte what libmongoc makes of a document
    /// without one, written into `scratch` (reused across a bulk) and lent like `with`. For
    /// documents known to have no top-level `_id`: libmongoc then finds one at once and copies
    /// the document into its bulk as is.
    static func withObjectID<Result>(
        _ document: ArraySlice<UInt8>, ids: inout ObjectIDs, scratch: inout [UInt8], _ body: (OpaquePointer) -> Result
    ) -> Result? {
        let length = document.count + ObjectIDs.idElementLength
        guard isOneDocument(document), length <= Int32.max else { return nil }
        if scratch.count < length { scratch = [UInt8](repeating: 0, count: max(length, 2 * scratch.count)) }
        return scratch.withUnsafeMutableBytes { raw in
            let base = raw.baseAddress!
            base.storeBytes(of: Int32(length).littleEndian, as: Int32.self)
            let header = ObjectIDs.idElementHeader
            header.withUnsafeBytes { (base + 4).copyMemory(from: $0.baseAddress!, byteCount: header.count) }
            ids.write(to: base + 4 + header.count)
            document.withUnsafeBytes {
                (base + 4 + ObjectIDs.idElementLength).copyMemory(from: $0.baseAddress! + 4, byteCount: document.count - 4)
            }
            return with(UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: length), body)
        }
    }
}
