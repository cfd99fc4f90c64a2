import CHiredis
import NIOCore

/// Writes a command as a RESP array of bulk strings, formatted by hiredis's `redisFormatCommandArgv`.
public enum RESPCommandEncoder {
    /// Encodes `arguments` (the command name first) and appends the bytes to `buffer`.
    public static func encode(_ arguments: [String], into buffer: inout ByteBuffer) {
        var storage: [UInt8] = []
        storage.reserveCapacity(arguments.reduce(0) { $0 + $1.utf8.count })
        var lengths: [Int] = []
        lengths.reserveCapacity(arguments.count)
        for argument in arguments {
            storage.append(contentsOf: argument.utf8)
            lengths.append(argument.utf8.count)
        }
        format(storage: storage, lengths: lengths, into: &buffer)
    }

    /// Encodes binary arguments (the command name first) and appends the bytes to `buffer`.
    public static func encode(_ arguments: [ByteBuffer], into buffer: inout ByteBuffer) {
        var storage: [UInt8] = []
        storage.reserveCapacity(arguments.reduce(0) { $0 + $1.readableBytes })
        var lengths: [Int] = []
        lengths.reserveCapacity(arguments.count)
        for argument in arguments {
            storage.append(contentsOf: argument.readableBytesView)
            lengths.append(argument.readableBytes)
        }
        format(storage: storage, lengths: lengths, into: &buffer)
    }

    /// hiredis wants `argv` pointers into memory that lives for the call, so every argument is
    /// first copied into one contiguous array and `argv` points at slices of it.
    private static func format(storage: [UInt8], lengths: [Int], into buffer: inout ByteBuffer) {
        // A trailing byte keeps the base address non-nil when every argument is empty.
        var storage = storage
        storage.append(0)
        storage.withUnsafeBufferPointer { bytes in
            let base = UnsafeRawPointer(bytes.baseAddress.unsafelyUnwrapped)
            var argv: [UnsafePointer<CChar>?] = []
            argv.reserveCapacity(lengths.count)
            var offset = 0
            for length in lengths {
                argv.append((base + offset).assumingMemoryBound(to: CChar.self))
                offset += length
            }
            var target: UnsafeMutablePointer<CChar>?
            let count = argv.withUnsafeMutableBufferPointer { argvPointer in
                lengths.withUnsafeBufferPointer { lengthPointer in
                    redisFormatCommandArgv(&target, Int32(lengths.count), argvPointer.baseAddress, lengthPointer.baseAddress)
                }
            }
            guard count > 0, let target else { return }
            defer { redisFreeCommand(target) }
            buffer.writeBytes(UnsafeRawBufferPointer(start: target, count: Int(count)))
        }
    }
}
