import InletModel

/// One `insert` command for a flush of plain inserts: `{insert, ordered: false, documents: [...]}`,
/// written straight from the documents' encoded bytes, with the ObjectId `_id` put in front of
/// those that have none as they are copied in.
///
/// Why not libmongoc's bulk API: adding a document to a bulk parses the insert's options, looks
/// for `_id` and copies the document into the bulk's own buffer, per document. Measured with
/// `inlet-bench store --ceiling-only [--command]` on SecantusDB: the bulk API's client CPU is
/// 2.2–2.4 µs per document, one command built like this 0.6–0.7 µs, at the same documents/s.
///
/// libmongoc's documentation steers `insert` to its CRUD and bulk functions, whose extra logic
/// the store does not need here: retryable writes (the store retries unconfirmed writes itself,
/// and the unique indexes turn a repeat into a duplicate), splitting a large write (a command
/// here stays under `maxBytes` and `maxDocuments`), document validation (skipped for these
/// documents already, see `MongoStore+Flushing`) and client-side encryption (not used). The
/// collection's write concern is applied as for the bulk.
struct InsertCommand {
    /// A command is one BSON document, which the server takes up to 16 MiB (plus 16 KiB for the
    /// command's own fields). Larger flushes go through the bulk API, which splits them.
    static let maxBytes = 8 << 20
    /// The server's `maxWriteBatchSize`.
    static let maxDocuments = 100_000

    /// The command document.
    let bytes: [UInt8]
    /// Position in `documents` → position of its write in the flush.
    let writeOfOperation: [Int]
    /// Positions of the writes left out because their bytes are not one BSON document.
    let malformed: [Int]

    /// `nil` when a write is not a plain insert, or the flush is too large for one command.
    init?(_ writes: some BulkWriteList, collection: String) {
        guard writes.count <= Self.maxDocuments else { return nil }
        let idLength = ObjectIDs.idElementLength
        var size = 4 + 1 + 7 + 4 + collection.utf8.count + 1 + 1 + 8 + 1 + 1 + 10 + 4 + 1 + 1
        for index in 0..<writes.count {
            guard case .insert(let addsId) = writes[index].kind else { return nil }
            // The element's type, its index as a name (at most six digits) and NUL, the document.
            size += 1 + 7 + writes[index].document.count + (addsId ? idLength : 0)
        }
        guard size <= Self.maxBytes else { return nil }
        // Reserved only now that the writes go as one command (the bulk API reserves its own).
        var ids = ObjectIDs(count: writes.count)

        var operations: [Int] = []
        operations.reserveCapacity(writes.count)
        var malformed: [Int] = []
        bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            let base = UnsafeMutableRawPointer(buffer.baseAddress!)
            var at = 4
            func put(_ byte: UInt8) {
                base.storeBytes(of: byte, toByteOffset: at, as: UInt8.self)
                at += 1
            }
            func put(_ text: some Collection<UInt8>) {
                for byte in text { put(byte) }
            }
            put(0x02)
            put("insert\0".utf8)
            let name = Array(collection.utf8)
            base.storeBytes(of: Int32(name.count + 1).littleEndian, toByteOffset: at, as: Int32.self)
            at += 4
            put(name)
            put(0)
            put(0x08)
            put("ordered\0".utf8)
            put(0)
            put(0x04)
            put("documents\0".utf8)
            let arrayStart = at
            at += 4
            for index in 0..<writes.count {
                guard case .insert(let addsId) = writes[index].kind else { continue }
                // The document is read where the write holds it, not bound to a name (a retain).
                guard BorrowedBSON.isOneDocument(writes[index].document) else {
                    malformed.append(index)
                    continue
                }
                put(0x03)
                at += BSONWriter.putDecimal(operations.count, at: base + at)
                put(0)
                writes[index].document.withUnsafeBytes { document in
                    if addsId {
                        base.storeBytes(of: Int32(document.count + idLength).littleEndian, toByteOffset: at, as: Int32.self)
                        at += 4
                        put(ObjectIDs.idElementHeader)
                        ids.write(to: base + at)
                        at += 12
                        (base + at).copyMemory(from: document.baseAddress! + 4, byteCount: document.count - 4)
                        at += document.count - 4
                    } else {
                        (base + at).copyMemory(from: document.baseAddress!, byteCount: document.count)
                        at += document.count
                    }
                }
                operations.append(index)
            }
            put(0)
            base.storeBytes(of: Int32(at - arrayStart).littleEndian, toByteOffset: arrayStart, as: Int32.self)
            put(0)
            base.storeBytes(of: Int32(at).littleEndian, toByteOffset: 0, as: Int32.self)
            precondition(at <= size, "InsertCommand: wrote past the room reserved")
            initialized = at
        }
        writeOfOperation = operations
        self.malformed = malformed
    }
}
