import CZlib

/// Inflates a gzip request body as it streams in, refusing to produce more than `limit` bytes.
/// The limit is checked while inflating, so a gzip bomb costs at most `limit` bytes of memory.
/// Not thread-safe: one per request, used on its event loop.
final class GzipInflater {
    enum Failure: Error, Equatable {
        /// The inflated body would exceed the limit.
        case tooLarge
        /// The bytes are not a valid gzip stream.
        case corrupt
    }

    private var stream = z_stream()
    private let limit: Int
    private var produced = 0
    private var finished = false
    private var initialised = false

    init(limit: Int) {
        self.limit = limit
        initialised = inlet_inflate_init_gzip(&stream) == Z_OK
    }

    deinit {
        if initialised { inflateEnd(&stream) }
    }

    /// Inflates `input`, appending the output to `output`.
    func inflate(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws(Failure) {
        guard initialised else { throw .corrupt }
        guard !input.isEmpty else { return }
        // Bytes after the end of the gzip stream are garbage we refuse rather than ignore.
        guard !finished else { throw .corrupt }
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        var status: Int32 = Z_OK
        var failure: Failure?
        input.withMemoryRebound(to: Bytef.self) { inBytes in
            stream.next_in = UnsafeMutablePointer(mutating: inBytes.baseAddress)
            stream.avail_in = uInt(inBytes.count)
            repeat {
                let written: Int = chunk.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(out.count)
                    status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    return out.count - Int(stream.avail_out)
                }
                if status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR {
                    failure = .corrupt
                    break
                }
                produced += written
                if produced > limit {
                    failure = .tooLarge
                    break
                }
                output.append(contentsOf: chunk[0..<written])
                if status == Z_STREAM_END {
                    finished = true
                    if stream.avail_in > 0 { failure = .corrupt }
                    break
                }
            } while stream.avail_in > 0 || stream.avail_out == 0
            stream.next_in = nil
        }
        if let failure { throw failure }
    }

    /// Checks that the stream ended properly: a truncated gzip body is corrupt, not short.
    func finish() throws(Failure) {
        guard finished else { throw .corrupt }
    }
}
