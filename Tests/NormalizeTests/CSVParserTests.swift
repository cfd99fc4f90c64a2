import Testing

@testable import Normalize

/// Feeds `bytes` in chunks cut at `cuts` (offsets, ascending) and returns every record.
private func parse(_ bytes: [UInt8], cuts: [Int] = [], limits: CSVParser.Limits = .init()) -> [CSVRecord] {
    var parser = CSVParser(limits: limits)
    var records: [CSVRecord] = []
    var start = 0
    for cut in cuts + [bytes.count] {
        bytes[start..<cut].withUnsafeBytes { parser.feed($0, into: &records) }
        start = cut
    }
    parser.finish(into: &records)
    return records
}

private func parse(_ text: String, limits: CSVParser.Limits = .init()) -> [CSVRecord] {
    parse(Array(text.utf8), limits: limits)
}

private func row(_ line: Int, _ fields: String...) -> CSVRecord {
    .row(CSVRow(line: line, fields: fields))
}

private func error(_ line: Int, _ column: Int?, _ message: String) -> CSVRecord {
    .error(CSVParseError(line: line, column: column, message: message))
}

@Suite struct CSVParserTests {
    /// Everything that state carries across chunks: BOM, quotes, doubled quotes, quoted CRLF,
    /// CRLF, lone CR, multi-byte characters, blank lines, a broken row, no final newline.
    static let tricky: [UInt8] = [0xEF, 0xBB, 0xBF] + Array((
        "userId,name,note\r\n"
            + "u1,\"Smith, Jo\",\"said \"\"hi\"\"\"\r\n"
            + "u2,Zoë 🚀,\"two\r\nlines\"\r\n"
            + "\r\n"
            + "u3,x\"y,z\n"
            + "u4,\"\",\"\"\"\"\r"
            + "u5,\"a\"b,c\n"
            + "u6,,last"
    ).utf8)

    static let trickyRecords: [CSVRecord] = [
        row(1, "userId", "name", "note"),
        row(2, "u1", "Smith, Jo", "said \"hi\""),
        row(3, "u2", "Zoë 🚀", "two\r\nlines"),
        error(6, 2, "a quote inside an unquoted field; quote the whole field and double the quote"),
        row(7, "u4", "", "\""),
        error(8, 2, "unexpected character after the closing quote of a field"),
        row(9, "u6", "", "last"),
    ]

    @Test func parsesTheTrickySampleWhole() {
        #expect(parse(Self.tricky) == Self.trickyRecords)
    }

    /// Found by the csv fuzz target: a chunk crossing both limits must report the one a
    /// byte-by-byte reading meets first (here the row's), whatever the split.
    @Test func limitErrorsDoNotDependOnChunking() {
        let limits = CSVParser.Limits(maxFieldBytes: 8, maxFieldsPerRow: 4, maxRecordBytes: 24)
        let bytes = Array("aaaaaaaa,aaaaaaaa,aaaaaaaa,bbbbbbbbb\n".utf8)
        let whole = parse(bytes, limits: limits)
        #expect(whole == [error(1, nil, "row is longer than 24 bytes")])
        #expect(parse(bytes, cuts: Array(1..<bytes.count), limits: limits) == whole)
    }

    @Test func byteByByteGivesTheSameRecords() {
        #expect(parse(Self.tricky, cuts: Array(1..<Self.tricky.count)) == Self.trickyRecords)
    }

    @Test func everySplitPointGivesTheSameRecords() {
        for cut in 0...Self.tricky.count {
            let records = parse(Self.tricky, cuts: [cut])
            #expect(records == Self.trickyRecords, "split at \(cut)")
        }
    }

    @Test func everyPairOfSplitPointsGivesTheSameRecords() {
        let count = Self.tricky.count
        var mismatches: [[Int]] = []
        for first in 0...count {
            for second in first...count where parse(Self.tricky, cuts: [first, second]) != Self.trickyRecords {
                mismatches.append([first, second])
            }
        }
        #expect(mismatches.isEmpty)
    }

    @Test func quotedNewlinesMoveTheLinesOfLaterRows() {
        let records = parse("a,\"1\n2\n3\"\nb,\"x\r\ny\"\r\nc,z\n")
        #expect(records == [row(1, "a", "1\n2\n3"), row(4, "b", "x\r\ny"), row(6, "c", "z")])
    }

    @Test func lineEndingsMayBeLFCRLFOrLoneCR() {
        #expect(parse("a,b\nc,d\n") == [row(1, "a", "b"), row(2, "c", "d")])
        #expect(parse("a,b\r\nc,d\r\n") == [row(1, "a", "b"), row(2, "c", "d")])
        #expect(parse("a,b\rc,d\r") == [row(1, "a", "b"), row(2, "c", "d")])
        #expect(parse("a\r\rb") == [row(1, "a"), row(3, "b")])
    }

    @Test func lastRecordNeedsNoNewline() {
        #expect(parse("a,b\nc,d") == [row(1, "a", "b"), row(2, "c", "d")])
        #expect(parse("a,\"b\"") == [row(1, "a", "b")])
        #expect(parse("a,") == [row(1, "a", "")])
    }

    @Test func emptyInputAndBlankLinesGiveNoRecords() {
        #expect(parse("").isEmpty)
        #expect(parse("\n\r\n\r").isEmpty)
        #expect(parse("\n\na\n\n") == [row(3, "a")])
    }

    @Test func bomIsSkippedOnlyAtTheVeryStart() {
        let bom = "\u{FEFF}"
        #expect(parse(bom + "userId\nu1") == [row(1, "userId"), row(2, "u1")])
        #expect(parse("a\n" + bom + "b") == [row(1, "a"), row(2, bom + "b")])
        #expect(parse(bom) == [])
    }

    @Test func partialBOMBytesAreData() {
        #expect(parse([0xEF, 0xBB]) == [error(1, 1, "field is not valid UTF-8")])
        #expect(parse([0xEF, 0x41, 0x0A, 0x42]) == [error(1, 1, "field is not valid UTF-8"), row(2, "B")])
    }

    @Test func raggedRowsAreReturnedAsTheyAre() {
        #expect(parse("a,b,c\n1,2\n1,2,3,4\n") == [row(1, "a", "b", "c"), row(2, "1", "2"), row(3, "1", "2", "3", "4")])
    }

    @Test func invalidUTF8IsAnErrorWithLineAndColumn() {
        let bytes = Array("a,b,c\nx,y,z\n1,".utf8) + [0xC3, 0x28] + Array(",3\nok,ok,ok\n".utf8)
        #expect(parse(bytes) == [
            row(1, "a", "b", "c"), row(2, "x", "y", "z"),
            error(3, 2, "field is not valid UTF-8"),
            row(4, "ok", "ok", "ok"),
        ])
    }

    @Test func multiByteCharacterSplitAcrossChunksIsValid() {
        let bytes = Array("é,🚀\n".utf8)
        for cut in 0...bytes.count {
            #expect(parse(bytes, cuts: [cut]) == [row(1, "é", "🚀")])
        }
    }

    @Test func unterminatedQuoteAtEndOfFileIsExactlyOneError() {
        let records = parse("a,b\nc,\"never closed\nd,e\nf,g\n")
        #expect(records == [row(1, "a", "b"), error(2, 2, "quoted field is not closed before the end of the file")])
    }

    @Test func unterminatedQuotePastTheFieldLimitIsStillOneError() {
        let text = "a\n\"" + String(repeating: "x,\n", count: 10_000)
        let records = parse(text, limits: .init(maxFieldBytes: 100))
        #expect(records == [row(1, "a"), error(2, 1, "field is longer than 100 bytes")])
    }

    @Test func oversizedFieldIsAnErrorAndTheNextRecordIsRead() {
        let long = String(repeating: "y", count: 50)
        let text = "a,b\n1,\"\(long)\n\(long),\"\"\(long)\"\n2,3\n4,\(long)\n5,6"
        let records = parse(text, limits: .init(maxFieldBytes: 40))
        #expect(records == [
            row(1, "a", "b"),
            error(2, 2, "field is longer than 40 bytes"),
            row(4, "2", "3"),
            error(5, 2, "field is longer than 40 bytes"),
            row(6, "5", "6"),
        ])
    }

    @Test func tooManyFieldsIsAnErrorAndTheNextRecordIsRead() {
        let text = "1,2,3\n" + String(repeating: ",", count: 5_000) + "\n4,5,6\n"
        let records = parse(text, limits: .init(maxFieldsPerRow: 3))
        #expect(records == [row(1, "1", "2", "3"), error(2, nil, "row has more than 3 fields"), row(3, "4", "5", "6")])
    }

    @Test func oversizedRecordIsAnError() {
        let field = String(repeating: "z", count: 30)
        let text = "\(field),\(field),\(field)\nok\n"
        let records = parse(text, limits: .init(maxFieldBytes: 40, maxRecordBytes: 64))
        #expect(records == [error(1, nil, "row is longer than 64 bytes"), row(2, "ok")])
    }

    @Test func garbageAfterAClosingQuoteResyncsAtTheEndOfTheLine() {
        let records = parse("\"a\" ,b\n\"c\"\"\",d\n")
        #expect(records == [
            error(1, 1, "unexpected character after the closing quote of a field"),
            row(2, "c\"", "d"),
        ])
    }

    @Test func memoryStaysWithinOneRecordWhateverTheFileLooksLike() {
        let limits = CSVParser.Limits(maxFieldBytes: 1_000, maxFieldsPerRow: 10, maxRecordBytes: 4_000)
        let chunk = Array(String(repeating: "abc,\"\"x\n", count: 500).utf8)
        for opening in ["\"", "", String(repeating: "x,", count: 9)] {
            var parser = CSVParser(limits: limits)
            var records: [CSVRecord] = []
            Array(opening.utf8).withUnsafeBytes { parser.feed($0, into: &records) }
            var largest = 0
            for _ in 0..<200 {
                chunk.withUnsafeBytes { parser.feed($0, into: &records) }
                largest = max(largest, parser.bufferedByteCount)
                records.removeAll()
            }
            #expect(largest <= limits.maxRecordBytes, "opening \(opening)")
        }
    }

    /// Random bytes from the characters that matter, in random chunks: no trap, and the same
    /// records however the stream is cut.
    @Test func randomInputIsChunkingInvariant() {
        var random = SplitMix64(seed: 0x1A2B_3C4D)
        let alphabet: [UInt8] = [0x61, 0x62, 0x2C, 0x2C, 0x22, 0x22, 0x0D, 0x0A, 0xC3, 0xA9, 0xFF, 0xEF, 0xBB, 0xBF]
        let limits = CSVParser.Limits(maxFieldBytes: 6, maxFieldsPerRow: 5, maxRecordBytes: 20)
        for _ in 0..<500 {
            let length = Int(random.next() % 64)
            let bytes = (0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }
            let whole = parse(bytes, limits: limits)
            var cuts: [Int] = []
            var position = 0
            while position < length {
                position += 1 + Int(random.next() % 8)
                if position < length { cuts.append(position) }
            }
            #expect(parse(bytes, cuts: cuts, limits: limits) == whole, "input \(bytes), cuts \(cuts)")
            #expect(parse(bytes, cuts: Array(0..<length), limits: limits) == whole, "input \(bytes)")
            let lines = whole.map { record -> Int in
                switch record {
                case .row(let row): return row.line
                case .error(let error): return error.line
                }
            }
            #expect(lines == lines.sorted() && Set(lines).count == lines.count, "input \(bytes)")
        }
    }

    @Test func finishLeavesTheParserReadyForANewStream() {
        var parser = CSVParser()
        let first = Array("\"open".utf8).withUnsafeBytes { parser.feed($0) } + parser.finish()
        let second = Array("\u{FEFF}x,y".utf8).withUnsafeBytes { parser.feed($0) } + parser.finish()
        #expect(first == [error(1, 1, "quoted field is not closed before the end of the file")])
        #expect(second == [row(1, "x", "y")])
    }
}

/// A small deterministic generator, so a failing random case can be replayed.
private struct SplitMix64 {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
