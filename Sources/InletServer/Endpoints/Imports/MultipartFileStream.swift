/// Pulls the first file part out of a `multipart/form-data` body as it streams in, so an upload
/// form can send a CSV without inlet buffering it. Only the part's bytes come out; its file name
/// is never used for anything. Memory is bounded by the part headers' limit and the boundary length.
struct MultipartFileStream {
    enum Failure: Error, Equatable {
        case noBoundary
        case headersTooLarge
        case noFilePart
    }

    private enum Phase {
        /// Before the first boundary line.
        case preamble
        /// Reading a part's headers, up to the blank line.
        case headers
        /// Inside the file part: its bytes are passed on.
        case file
        /// Inside a part that is not a file: skipped.
        case otherPart
        /// After the file part: the rest is ignored.
        case done
    }

    private let delimiter: [UInt8]  // "\r\n--boundary"
    private var phase = Phase.preamble
    private var carry: [UInt8] = []
    private static let headerLimit = 16 * 1024

    /// `contentType` is the request's `Content-Type`, carrying the boundary.
    init(contentType: String) throws(Failure) {
        guard let boundary = Self.boundary(in: contentType) else { throw .noBoundary }
        delimiter = Array("\r\n--\(boundary)".utf8)
        // The first boundary may open the body without a preceding CRLF.
        carry = Array("\r\n".utf8)
    }

    var foundFile: Bool {
        switch phase {
        case .file, .done: return true
        default: return false
        }
    }

    /// Feeds body bytes; appends the file's bytes to `output`.
    mutating func feed(_ bytes: some Collection<UInt8>, into output: inout [UInt8]) throws(Failure) {
        carry.append(contentsOf: bytes)
        var progressed = true
        while progressed {
            progressed = false
            switch phase {
            case .preamble, .otherPart:
                if let end = Self.find(delimiter, in: carry) {
                    carry.removeSubrange(0..<(end + delimiter.count))
                    phase = .headers
                    progressed = true
                } else {
                    carry.removeFirst(max(0, carry.count - delimiter.count))
                }
            case .headers:
                if let end = Self.find(Array("\r\n\r\n".utf8), in: carry) {
                    let headers = String(decoding: carry[0..<end], as: UTF8.self).lowercased()
                    carry.removeSubrange(0..<(end + 4))
                    if headers.hasPrefix("--") {
                        phase = .done  // the closing boundary: no file part at all
                    } else {
                        phase = headers.contains("filename") ? .file : .otherPart
                    }
                    progressed = true
                } else if carry.count > Self.headerLimit {
                    throw .headersTooLarge
                } else if carry.starts(with: Array("--".utf8)) {
                    phase = .done
                }
            case .file:
                if let end = Self.find(delimiter, in: carry) {
                    output.append(contentsOf: carry[0..<end])
                    carry.removeAll()
                    phase = .done
                } else {
                    let safe = max(0, carry.count - delimiter.count + 1)
                    output.append(contentsOf: carry[0..<safe])
                    carry.removeFirst(safe)
                }
            case .done:
                carry.removeAll()
            }
        }
    }

    /// Checks the body had a file part.
    func finish() throws(Failure) {
        guard foundFile else { throw .noFilePart }
    }

    static func boundary(in contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "boundary" else { continue }
            var value = pair[1].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value.isEmpty || value.utf8.count > 200 ? nil : value
        }
        return nil
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count, let first = needle.first else { return nil }
        var index = 0
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first, haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
