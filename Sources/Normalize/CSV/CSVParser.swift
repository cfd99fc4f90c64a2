/// A streaming RFC 4180 reader: bytes in, in chunks split anywhere, records out.
///
/// ```
/// state          byte        next state
/// fieldStart     "           quoted
///                ,           fieldStart     (field ends)
///                CR / LF     fieldStart     (record ends; a blank line is skipped)
///                other       unquoted
/// unquoted       ,           fieldStart     (field ends)
///                CR / LF     fieldStart     (record ends)
///                "           skipLine       (error)
/// quoted         "           quoteInQuoted
///                other       quoted         (CR and LF are data, and count lines)
/// quoteInQuoted  "           quoted         (a doubled quote: one " of data)
///                ,           fieldStart     (field ends)
///                CR / LF     fieldStart     (record ends)
///                other       skipLine       (error)
/// skipLine       CR / LF     fieldStart     (the error is the record)
/// ```
///
/// It is an I/O-free state machine: the importer feeds it request body chunks and gets back the
/// records completed so far. Memory is bounded by one record: a record that breaks a limit is
/// reported as an error and the rest of it is read without being kept, still tracking quotes, so
/// the parser resumes at the true next record. A syntax error (a stray quote) resumes at the end
/// of the physical line instead, since the quoting can no longer be trusted.
///
/// Lines end with LF, CRLF or a lone CR, also split across chunks. A UTF-8 BOM is skipped at the
/// very start only. Blank lines are skipped. Fields are decoded once complete, so a chunk may end
/// inside a multi-byte character.
public struct CSVParser: Sendable {
    /// Bounds on what one record may hold, so a hostile or broken file cannot grow memory.
    public struct Limits: Sendable, Hashable {
        public var maxFieldBytes: Int
        public var maxFieldsPerRow: Int
        /// Bounds the whole record, which `maxFieldBytes × maxFieldsPerRow` alone would leave at 64 MiB.
        public var maxRecordBytes: Int

        public init(maxFieldBytes: Int = 64 * 1024, maxFieldsPerRow: Int = 1_000, maxRecordBytes: Int = 1024 * 1024) {
            self.maxFieldBytes = maxFieldBytes
            self.maxFieldsPerRow = maxFieldsPerRow
            self.maxRecordBytes = maxRecordBytes
        }
    }

    private enum State: Sendable {
        /// Nothing read yet: a BOM may follow.
        case start
        case fieldStart
        case unquoted
        case quoted
        /// A `"` inside a quoted field: either the first of a doubled quote or the closing one.
        case quoteInQuoted
        /// After a syntax error: everything up to the end of the physical line is dropped.
        case skipLine
    }

    private static let quote: UInt8 = 0x22
    private static let comma: UInt8 = 0x2C
    private static let cr: UInt8 = 0x0D
    private static let lf: UInt8 = 0x0A
    private static let bom: [UInt8] = [0xEF, 0xBB, 0xBF]

    private let limits: Limits
    private var state: State = .start
    private var bomMatched = 0
    /// The physical line of the next byte.
    private var line = 1
    private var recordLine = 1
    /// The previous byte was a CR that ended a line, so an LF right after it ends nothing.
    private var afterCR = false
    private var field: [UInt8] = []
    private var fields: [String] = []
    /// Fields completed in this record, kept or not.
    private var fieldCount = 0
    private var recordBytes = 0
    /// Set once the current record is refused; from then on its bytes are not kept.
    private var recordError: CSVParseError?

    public init(limits: Limits = .init()) {
        self.limits = limits
    }

    /// The bytes held for the record being read; what the memory bound is about.
    var bufferedByteCount: Int {
        fields.reduce(field.count) { $0 + $1.utf8.count }
    }

    /// Reads `bytes` and appends every record they complete to `records`.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, into records: inout [CSVRecord]) {
        var index = 0
        if case .start = state {
            while index < bytes.count, bomMatched < Self.bom.count, bytes[index] == Self.bom[bomMatched] {
                bomMatched += 1
                index += 1
            }
            if bomMatched == Self.bom.count {
                state = .fieldStart
            } else if index < bytes.count {
                state = .fieldStart
                let partial = Self.bom.prefix(bomMatched)
                partial.withUnsafeBytes { run($0, from: 0, into: &records) }
            } else {
                return
            }
        }
        run(bytes, from: index, into: &records)
    }

    /// Reads `bytes` and returns the records they complete.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> [CSVRecord] {
        var records: [CSVRecord] = []
        feed(bytes, into: &records)
        return records
    }

    /// Ends the stream: appends the last record when the file has no final newline, or the one
    /// error for a quoted field that never closed. The parser is then ready for a new stream.
    public mutating func finish(into records: inout [CSVRecord]) {
        switch state {
        case .start:
            if bomMatched > 0 {
                state = .fieldStart
                Self.bom.prefix(bomMatched).withUnsafeBytes { run($0, from: 0, into: &records) }
                finish(into: &records)
                return
            }
        case .fieldStart:
            if fieldCount > 0 || recordError != nil { endRecord(into: &records) }
        case .unquoted, .quoteInQuoted, .skipLine:
            endRecord(into: &records)
        case .quoted:
            fail(column: fieldCount + 1, "quoted field is not closed before the end of the file")
            endRecord(into: &records)
        }
        self = CSVParser(limits: limits)
    }

    /// Ends the stream and returns what `finish(into:)` would append.
    public mutating func finish() -> [CSVRecord] {
        var records: [CSVRecord] = []
        finish(into: &records)
        return records
    }

    private mutating func run(_ bytes: UnsafeRawBufferPointer, from start: Int, into records: inout [CSVRecord]) {
        var index = start
        let end = bytes.count
        while index < end {
            let byte = bytes[index]
            switch state {
            case .start, .fieldStart:
                switch byte {
                case Self.quote:
                    state = .quoted
                    index += 1
                case Self.comma:
                    endField()
                    index += 1
                case Self.cr, Self.lf:
                    index += 1
                    endLine(byte, into: &records)
                default:
                    state = .unquoted
                }
                afterCR = byte == Self.cr
            case .unquoted:
                var stop = index
                while stop < end {
                    let b = bytes[stop]
                    if b == Self.comma || b == Self.quote || b == Self.cr || b == Self.lf { break }
                    stop += 1
                }
                append(UnsafeRawBufferPointer(rebasing: bytes[index..<stop]))
                index = stop
                guard index < end else { break }
                let delimiter = bytes[index]
                index += 1
                switch delimiter {
                case Self.comma:
                    endField()
                case Self.quote:
                    fail(column: fieldCount + 1, "a quote inside an unquoted field; quote the whole field and double the quote")
                    state = .skipLine
                default:
                    endLine(delimiter, into: &records)
                }
                afterCR = delimiter == Self.cr
            case .quoted:
                var stop = index
                var crBefore = afterCR
                while stop < end {
                    let b = bytes[stop]
                    if b == Self.quote { break }
                    if b == Self.cr || (b == Self.lf && !crBefore) { line += 1 }
                    crBefore = b == Self.cr
                    stop += 1
                }
                afterCR = crBefore
                append(UnsafeRawBufferPointer(rebasing: bytes[index..<stop]))
                index = stop
                if index < end {
                    state = .quoteInQuoted
                    afterCR = false
                    index += 1
                }
            case .quoteInQuoted:
                index += 1
                switch byte {
                case Self.quote:
                    append(byte)
                    state = .quoted
                case Self.comma:
                    endField()
                case Self.cr, Self.lf:
                    endLine(byte, into: &records)
                default:
                    fail(column: fieldCount + 1, "unexpected character after the closing quote of a field")
                    state = .skipLine
                }
                afterCR = byte == Self.cr
            case .skipLine:
                var stop = index
                while stop < end, bytes[stop] != Self.cr, bytes[stop] != Self.lf { stop += 1 }
                index = stop
                afterCR = false
                guard index < end else { break }
                let newline = bytes[index]
                index += 1
                endLine(newline, into: &records)
                afterCR = newline == Self.cr
            }
        }
    }

    /// A CR or LF outside quotes: ends the record, except an LF completing a CRLF, which ends nothing.
    private mutating func endLine(_ byte: UInt8, into records: inout [CSVRecord]) {
        if byte == Self.lf && afterCR { return }
        if case .fieldStart = state, fieldCount == 0, recordError == nil {
            // A blank line: not a record.
        } else {
            endRecord(into: &records)
        }
        line += 1
        recordLine = line
    }

    private mutating func append(_ chunk: UnsafeRawBufferPointer) {
        guard !chunk.isEmpty else { return }
        let recordBefore = recordBytes
        recordBytes += chunk.count
        guard recordError == nil else { return }
        // The byte of this chunk at which each limit is first crossed (1-based), so the error is
        // the one a byte-by-byte reading would meet first, however the upload was split.
        let fieldCrossing = limits.maxFieldBytes - field.count + 1
        let recordCrossing = limits.maxRecordBytes - recordBefore + 1
        let fieldCrossed = fieldCrossing <= chunk.count
        let recordCrossed = recordCrossing <= chunk.count
        if fieldCrossed && (!recordCrossed || fieldCrossing <= recordCrossing) {
            fail(column: fieldCount + 1, "field is longer than \(limits.maxFieldBytes) bytes")
        } else if recordCrossed {
            fail(column: nil, "row is longer than \(limits.maxRecordBytes) bytes")
        } else {
            field.append(contentsOf: chunk)
        }
    }

    private mutating func append(_ byte: UInt8) {
        withUnsafeBytes(of: byte) { append($0) }
    }

    private mutating func endField() {
        fieldCount += 1
        state = .fieldStart
        guard recordError == nil else { return }
        if fieldCount > limits.maxFieldsPerRow {
            fail(column: nil, "row has more than \(limits.maxFieldsPerRow) fields")
            return
        }
        let decoded = field.withUnsafeBufferPointer { String(validating: $0, as: UTF8.self) }
        field.removeAll(keepingCapacity: true)
        if let decoded {
            fields.append(decoded)
        } else {
            fail(column: fieldCount, "field is not valid UTF-8")
        }
    }

    private mutating func endRecord(into records: inout [CSVRecord]) {
        if recordError == nil { endField() }
        if let recordError {
            records.append(.error(recordError))
        } else {
            records.append(.row(CSVRow(line: recordLine, fields: fields)))
        }
        fields = []
        fields.reserveCapacity(min(fieldCount, limits.maxFieldsPerRow))
        field.removeAll(keepingCapacity: true)
        fieldCount = 0
        recordBytes = 0
        recordError = nil
        state = .fieldStart
    }

    /// Refuses the current record; the first reason wins, and nothing more of it is kept.
    private mutating func fail(column: Int?, _ message: String) {
        guard recordError == nil else { return }
        recordError = CSVParseError(line: recordLine, column: column, message: message)
        field = []
        fields = []
    }
}
