import CHiredis

/// Owns one hiredis reader; a class so the decoder (a struct) can hold it and free it exactly once.
final class HiredisReader {
    let pointer: UnsafeMutablePointer<redisReader>

    init() {
        guard let pointer = inlet_redis_reader_create_bounded() else {
            preconditionFailure("hiredis could not allocate a reader (out of memory)")
        }
        self.pointer = pointer
    }

    deinit {
        redisReaderFree(pointer)
    }
}
