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
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return nil }
            return withUnsafeTemporaryAllocation(byteCount: inlet_bson_t_size(), alignment: inlet_bson_t_alignment()) { storage in
                let document = OpaquePointer(storage.baseAddress!)
                // Checks the length prefix against the count and the final NUL; reads nothing else.
                guard bson_init_static(document, base, buffer.count) else { return nil }
                // A static bson_t owns nothing: there is nothing to destroy afterwards.
                return body(document)
            }
        }
    }
}
