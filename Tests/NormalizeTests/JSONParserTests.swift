import InletModel
import Testing

@Suite struct JSONParserTests {
    struct Valid: Sendable, CustomTestStringConvertible {
        var input: [UInt8]
        var expected: JSONValue
        var testDescription: String { String(decoding: input, as: UTF8.self) }

        init(_ text: String, _ expected: JSONValue) {
            input = Array(text.utf8)
            self.expected = expected
        }
    }

    struct Invalid: Sendable, CustomTestStringConvertible {
        var input: [UInt8]
        var code: String
        var testDescription: String { "\(code): \(input.prefix(40).map { String($0, radix: 16) }.joined(separator: " "))" }

        init(_ text: String, _ code: String) {
            input = Array(text.utf8)
            self.code = code
        }

        init(bytes: [UInt8], _ code: String) {
            input = bytes
            self.code = code
        }
    }

    static let valid: [Valid] = [
        Valid("null", .null),
        Valid("true", true),
        Valid(" false ", false),
        Valid("0", 0),
        Valid("-0", 0),
        Valid("-0.0", .double(-0.0)),
        Valid("42", 42),
        Valid("-17", -17),
        Valid("9223372036854775807", .int(.max)),
        Valid("-9223372036854775808", .int(.min)),
        Valid("9223372036854775808", .double(9.223372036854775808e18)),
        Valid("-9223372036854775809", .double(-9.223372036854775809e18)),
        Valid("123456789012345678901234567890", .double(1.2345678901234568e29)),
        Valid("1.5", 1.5),
        Valid("1e3", .double(1000)),
        Valid("1E+2", .double(100)),
        Valid("2.5e-3", .double(0.0025)),
        Valid("1e-400", .double(0)),
        Valid("1.7976931348623157e308", .double(.greatestFiniteMagnitude)),
        Valid(#""""#, ""),
        Valid(#""plain ascii""#, "plain ascii"),
        Valid(#""caf\u00e9 \u20ac \ud83d\ude00""#, "café € 😀"),
        Valid(#""\"\\\/\b\f\n\r\t""#, "\"\\/\u{8}\u{C}\n\r\t"),
        Valid(#""\u0000""#, "\u{0}"),
        Valid("\"héllo 世界 😀\"", "héllo 世界 😀"),
        Valid("\"\u{7F}\"", "\u{7F}"),
        Valid("[]", []),
        Valid("{}", [:]),
        Valid(" \t\r\n[ 1 , \"a\" , null ] \n", [1, "a", nil]),
        Valid(#"{"b":1,"a":{"c":[true]}}"#, ["b": 1, "a": ["c": [true]]]),
        Valid(#"{"a":1,"A":2}"#, ["a": 1, "A": 2]),
        Valid(String(repeating: "[", count: 64) + String(repeating: "]", count: 64),
              (0..<63).reduce(JSONValue.array([])) { inner, _ in .array([inner]) }),
    ]

    static let invalid: [Invalid] = [
        Invalid("", "syntax"),
        Invalid("   ", "syntax"),
        Invalid("nul", "syntax"),
        Invalid("True", "syntax"),
        Invalid("nulll", "syntax"),
        Invalid("01", "syntax"),
        Invalid("-01", "syntax"),
        Invalid("+1", "syntax"),
        Invalid("1.", "syntax"),
        Invalid(".5", "syntax"),
        Invalid("1e", "syntax"),
        Invalid("1e+", "syntax"),
        Invalid("-", "syntax"),
        Invalid("NaN", "syntax"),
        Invalid("Infinity", "syntax"),
        Invalid("0x10", "syntax"),
        Invalid("1e400", "number_out_of_range"),
        Invalid("-1e400", "number_out_of_range"),
        Invalid(String(repeating: "9", count: 400), "number_out_of_range"),
        Invalid("0." + String(repeating: "0", count: 2_000) + "1", "number_out_of_range"),
        Invalid("[1,]", "syntax"),
        Invalid(#"{"a":1,}"#, "syntax"),
        Invalid("[1 2]", "syntax"),
        Invalid("[", "syntax"),
        Invalid("]", "syntax"),
        Invalid(#"{"a" 1}"#, "syntax"),
        Invalid("{a:1}", "syntax"),
        Invalid("{'a':1}", "syntax"),
        Invalid(#"{"a":1"#, "syntax"),
        Invalid(#"{"a":1} x"#, "syntax"),
        Invalid("1 2", "syntax"),
        Invalid("[] []", "syntax"),
        Invalid(#""unterminated"#, "syntax"),
        Invalid(#""\"#, "syntax"),
        Invalid(#"{"a":1,"a":2}"#, "duplicate_key"),
        Invalid(#"{"x":{"a":1,"b":2,"a":3}}"#, "duplicate_key"),
        Invalid(#"{"caf\u00e9":1,"café":2}"#, "duplicate_key"),
        Invalid("\"a\tb\"", "control_character"),
        Invalid("\"a\nb\"", "control_character"),
        Invalid("\"\u{1F}\"", "control_character"),
        Invalid(#""\x41""#, "invalid_escape"),
        Invalid(#""\u12""#, "invalid_escape"),
        Invalid(#""\u12G4""#, "invalid_escape"),
        Invalid(#""\ud800""#, "invalid_escape"),
        Invalid(#""\udc00""#, "invalid_escape"),
        Invalid(#""\ud800\u0041""#, "invalid_escape"),
        Invalid(#""\ud800\n""#, "invalid_escape"),
        Invalid(#""\ude00\ud83d""#, "invalid_escape"),
        Invalid(bytes: [0x22, 0xFF, 0x22], "invalid_utf8"),
        Invalid(bytes: [0x22, 0x80, 0x22], "invalid_utf8"),
        Invalid(bytes: [0x22, 0xC0, 0xAF, 0x22], "invalid_utf8"),
        Invalid(bytes: [0x22, 0xC1, 0xBF, 0x22], "invalid_utf8"),
        Invalid(bytes: [0x22, 0xE0, 0x80, 0xAF, 0x22], "invalid_utf8"),
        Invalid(bytes: [0x22, 0xF0, 0x80, 0x80, 0xAF, 0x22], "invalid_utf8"),
        Invalid(bytes: [0x22, 0xED, 0xA0, 0x80, 0x22], "invalid_utf8"),
        Invalid(bytes: [0x22, 0xED, 0xBF, 0xBF, 0x22], "invalid_utf8"),
        Invalid(bytes: [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], "invalid_utf8"),
        Invalid(bytes: [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22], "invalid_utf8"),
        Invalid(bytes: [0x22, 0xE2, 0x82, 0x22], "invalid_utf8"),
        Invalid(bytes: [0x22, 0xE2, 0x82], "invalid_utf8"),
        Invalid(bytes: [0x22, 0xC3], "invalid_utf8"),
        Invalid(bytes: [0x22, 0x5C, 0x6E, 0xC3, 0x28, 0x22], "invalid_utf8"),
        Invalid(bytes: [0xEF, 0xBB, 0xBF, 0x7B, 0x7D], "syntax"),
        Invalid(bytes: [0x7B, 0xC3, 0xA9, 0x7D], "syntax"),
        Invalid(String(repeating: "[", count: 65) + String(repeating: "]", count: 65), "too_deep"),
        Invalid(String(repeating: "[", count: 1_000), "too_deep"),
        Invalid(String(repeating: #"{"a":"#, count: 1_000), "too_deep"),
        Invalid(String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000), "too_deep"),
    ]

    @Test(arguments: valid)
    func acceptsValidJSON(_ testCase: Valid) throws {
        let value = try JSONParser.parse(testCase.input)
        #expect(value == testCase.expected)
    }

    @Test(arguments: invalid)
    func rejectsInvalidJSON(_ testCase: Invalid) {
        let error = #expect(throws: JSONParseError.self) { try JSONParser.parse(testCase.input) }
        #expect(error?.code == testCase.code)
    }

    @Test func keepsKeyOrder() throws {
        let value = try JSONParser.parse(#"{"z":1,"a":2,"m":3}"#)
        #expect(value.objectValue?.keys == ["z", "a", "m"])
    }

    @Test func signOfNegativeZeroDoubleSurvives() throws {
        let value = try JSONParser.parse("-0.0")
        guard case .double(let number) = value else {
            Issue.record("expected a double, got \(value)")
            return
        }
        #expect(number.sign == .minus)
    }

    @Test func reportsTheOffsetOfTheProblem() {
        let error = #expect(throws: JSONParseError.self) { try JSONParser.parse(#"{"a":1,"a":2}"#) }
        #expect(error == JSONParseError(code: "duplicate_key", message: "duplicate key \"a\"", offset: 7))
    }

    @Test func findsDuplicatesInLargeObjects() {
        let members = (0..<1_000).map { "\"k\($0)\":\($0)" } + ["\"k500\":0"]
        let text = "{" + members.joined(separator: ",") + "}"
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    @Test func largeObjectWithoutDuplicatesParses() throws {
        let members = (0..<1_000).map { "\"k\($0)\":\($0)" }
        let value = try JSONParser.parse("{" + members.joined(separator: ",") + "}")
        #expect(value.objectValue?.count == 1_000)
        #expect(value["k999"] == 999)
    }

    @Test func depthLimitIsConfigurable() throws {
        let nested = "[[[1]]]"
        #expect(throws: JSONParseError.self) { try JSONParser.parse(nested, limits: .init(maxDepth: 2)) }
        #expect(try JSONParser.parse(nested, limits: .init(maxDepth: 3)) == [[[1]]])
    }

    @Test func depthLimitHasAHardCeiling() {
        let text = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        let error = #expect(throws: JSONParseError.self) { try JSONParser.parse(text, limits: .init(maxDepth: 1_000_000)) }
        #expect(error?.code == "too_deep")
    }

    @Test func parsesFromARawBufferAndANonContiguousSequence() throws {
        let bytes = Array(#"{"a":[1,2]}"#.utf8)
        let fromBuffer = try bytes.withUnsafeBytes { buffer in try JSONParser.parse(buffer) }
        let fromSequence = try JSONParser.parse(bytes.lazy.map { $0 })
        #expect(fromBuffer == ["a": [1, 2]])
        #expect(fromSequence == fromBuffer)
    }

    @Test func everyTruncationOfAValidDocumentIsRejectedWithoutCrashing() {
        let document = Array(#"{"a":[1,-2.5e3,"x\u00e9y",true,null,{"b":"😀"}],"c":false}"#.utf8)
        for length in 0..<document.count {
            #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(document[0..<length])) }
        }
    }

    @Test func everySingleByteCorruptionIsHandled() {
        let document = Array(#"{"a":[1,-2.5e3,"x\u00e9y",true,null,{"b":"😀"}],"c":false}"#.utf8)
        var failures = 0
        for position in document.indices {
            for replacement: UInt8 in [0x00, 0x22, 0x5C, 0x7B, 0x5D, 0x80, 0xC0, 0xFF] {
                var corrupted = document
                corrupted[position] = replacement
                if (try? JSONParser.parse(corrupted)) == nil { failures += 1 }
            }
        }
        #expect(failures > document.count)
    }

    @Test func tapeRecordsEachContainersBytesAsSent() throws {
        let text = #"{"context":{"batch":[1,2]},"batch":[ {"a":1} ,"xy",[[3]],  4.5 ],"sentAt":null}"#
        let bytes = Array(text.utf8)
        let tape = try JSONParser.tape(bytes)
        let batch = try #require(tape.member(tape.root, "batch"))
        let containers = tape.elements(batch).filter { tape.kind($0) == .object || tape.kind($0) == .array }
        #expect(containers.map { String(decoding: bytes[tape.byteRange($0)], as: UTF8.self) } == [#"{"a":1}"#, "[[3]]"])
        #expect(tape.byteLength(tape.root) == bytes.count)
        #expect(tape.value(tape.root) == (try JSONParser.parse(text)))
    }

    @Test func tapeReadsMembersElementsAndEscapedStrings() throws {
        let tape = try JSONParser.tape(Array(#"{"a":"plain","b\u00e9":"x\ny\"z","c":[true,false,null,-7,2.5],"d":{}}"#.utf8))
        let root = tape.root
        #expect(tape.count(root) == 4)
        #expect(tape.members(root).map { tape.string($0.key) } == ["a", "bé", "c", "d"])
        #expect(tape.string(try #require(tape.member(root, "a"))) == "plain")
        #expect(tape.string(try #require(tape.member(root, "bé"))) == "x\ny\"z")
        #expect(tape.member(root, "b") == nil)
        let array = try #require(tape.member(root, "c"))
        #expect(tape.elements(array).map { tape.kind($0) } == [.bool, .bool, .null, .int, .double])
        #expect(tape.elements(array).map { tape.value($0) } == [true, false, nil, -7, 2.5])
        let empty = try #require(tape.member(root, "d"))
        #expect(tape.kind(empty) == .object && tape.count(empty) == 0 && tape.next(after: empty) == empty + 1)
    }

    @Test func tapeKeepsEveryBitOfNumbers() throws {
        let text = "[-9223372036854775808,9223372036854775807,-1,0,-0.0,1.7976931348623157e308,5e-324,0.1]"
        let tape = try JSONParser.tape(Array(text.utf8))
        let values = tape.elements(tape.root).map { tape.value($0) }
        #expect(values == [.int(Int64.min), .int(Int64.max), -1, 0, .double(-0.0), .double(.greatestFiniteMagnitude),
                           .double(.leastNonzeroMagnitude), 0.1])
        #expect(tape.double(tape.root + 5).sign == .minus)
    }

    /// The tape's node memory starts at one node per eight bytes of input and doubles when full.
    /// A document of small values (one node per two bytes) makes it grow several times; every
    /// node written before a growth must read back after it, and a document that fails after
    /// growing is refused like any other.
    @Test func nodesSurviveTheTapeGrowing() throws {
        let count = 5_000
        let text = "[" + (0..<count).map { "{\"k\":\($0 % 10)}" }.joined(separator: ",") + ",[" + String(repeating: "0,", count: count) + "1]]"
        let tape = try JSONParser.tape(Array(text.utf8))
        #expect(tape.count(tape.root) == count + 1)
        var index = tape.root + 1
        for position in 0..<count {
            #expect(tape.kind(index) == .object && tape.count(index) == 1)
            #expect(tape.string(index + 1) == "k" && tape.int(index + 2) == Int64(position % 10))
            index = tape.next(after: index)
        }
        #expect(tape.elements(index).map { tape.value($0) } == Array(repeating: 0, count: count) + [1])
        #expect(tape.value(tape.root) == (try JSONParser.parse(text)))
        let broken = Array((String(text.dropLast()) + ",}").utf8)
        #expect(throws: JSONParseError.self) { try JSONParser.tape(broken) }
    }

    /// Strings are scanned eight bytes at a time until a byte needs a look of its own: wherever
    /// that byte falls in a word, the result and any error offset must be the byte loop's.
    @Test func stringScanStopsAtEverySpecialByteWhereverItFalls() throws {
        for position in 0..<20 {
            let before = String(repeating: "a", count: position)
            let after = String(repeating: "b", count: 11)
            #expect(try JSONParser.parse(#""\#(before)""#) == .string(before))
            #expect(try JSONParser.parse(#""\#(before)\"x\\\#(after)""#) == .string(before + "\"x\\" + after))
            #expect(try JSONParser.parse(#""\#(before)é🙂\#(after)""#) == .string(before + "é🙂" + after))
            // Several special bytes in one word: only the first may decide.
            #expect(try JSONParser.parse(#"["\#(before)","é\"",""]"#) == .array([.string(before), .string("é\""), .string("")]))
            let control = Array(#""\#(before)"#.utf8) + [0x01] + Array(#"\#(after)""#.utf8)
            let error = #expect(throws: JSONParseError.self) { try JSONParser.tape(control) }
            #expect(error?.code == "control_character")
            #expect(error?.offset == position + 1)
            let invalid = Array(#""\#(before)"#.utf8) + [0xC3, 0x28] + Array(#"\#(after)""#.utf8)
            #expect(throws: JSONParseError.self) { try JSONParser.tape(invalid) }
            let unterminated = Array(#""\#(before)"#.utf8)
            #expect(throws: JSONParseError.self) { try JSONParser.tape(unterminated) }
        }
    }

    /// Short decimals are computed without `strtod`; the `Double` must be the one it gives.
    @Test func shortDecimalsAreTheSameDoublesAsTheGeneralConversion() throws {
        var generator = SplitMix64(state: 42)
        var literals = ["0.1", "-0.0", "129.5", "0.30000000000000004", "123456789012345.6", "1.000000000000001",
                        "99999999999999.99", "-5e-1", "1.5E3", "0.000000000000001", "9007199254740993.5"]
        for _ in 0..<20_000 {
            let digits = Int.random(in: 1...17, using: &generator)
            var text = String((0..<digits).map { _ in Character(String(Int.random(in: 0...9, using: &generator))) })
            let point = Int.random(in: 1...digits, using: &generator)
            if point < digits { text.insert(".", at: text.index(text.startIndex, offsetBy: point)) } else { text += ".0" }
            while text.hasPrefix("0"), !text.hasPrefix("0.") { text.removeFirst() }
            literals.append(Bool.random(using: &generator) ? "-" + text : text)
        }
        for literal in literals {
            let tape = try JSONParser.tape(Array(literal.utf8))
            let expected = try #require(Double(literal))
            #expect(tape.double(tape.root).bitPattern == expected.bitPattern, "\(literal)")
        }
    }

    @Test func duplicateKeysAreFoundInLargeObjectsAndAfterEscapes() throws {
        let many = (0..<40).map { #""k\#($0)":\#($0)"# }.joined(separator: ",")
        for text in [#"{\#(many),"k39":1}"#, #"{"é":1,"\u00e9":2}"#, #"{\#(many),"\u006b7":1}"#] {
            let error = #expect(throws: JSONParseError.self) { try JSONParser.tape(Array(text.utf8)) }
            #expect(error?.code == "duplicate_key")
        }
        #expect((try? JSONParser.tape(Array(#"{\#(many),"k40":1}"#.utf8))) != nil)
    }

    /// Small objects compare a key only with earlier keys of its length, noted in a bit per
    /// length (one bit for all of 63 bytes and more): a repeat is found whatever lies between,
    /// and keys that only share a length are not repeats.
    @Test func duplicateKeysInSmallObjectsAreFoundByLength() throws {
        let long = String(repeating: "x", count: 63)
        let longer = String(repeating: "x", count: 70)
        let repeats = [
            #"{"ab":1,"abc":2,"a":3,"abcd":4,"abc":5}"#,
            #"{"\#(long)":1,"\#(longer)":2,"\#(long)":3}"#,
            #"{"\#(longer)":1,"y":2,"\#(longer)":3}"#,
            #"{"a":{"b":1},"c":2,"a":3}"#,
        ]
        for text in repeats {
            let error = #expect(throws: JSONParseError.self, "\(text.prefix(40))") { try JSONParser.tape(Array(text.utf8)) }
            #expect(error?.code == "duplicate_key")
        }
        let distinct = [
            #"{"ab":1,"cd":2,"ef":3,"a":{"ab":1},"gh":4}"#,
            #"{"\#(long)":1,"\#(longer)":2,"\#(long)y":3,"\#(String(repeating: "y", count: 63))":4}"#,
        ]
        for text in distinct {
            #expect((try? JSONParser.tape(Array(text.utf8))) != nil, "\(text.prefix(40))")
        }
    }

    /// A deterministic generator, so a failure here reproduces.
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func randomMutationsNeverCrashAndValidResultsRoundTrip() throws {
        let seed = Array(#"{"batch":[{"type":"track","event":"E\u00e9","properties":{"n":-1.5e-3,"ok":[true,null,12]}}],"sentAt":"x"}"#.utf8)
        let alphabet = Array(#"{}[]":,\-+.eE0123456789truefalsnu "#.utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xBF, 0xC3, 0xED, 0xF0, 0xFF]
        var generator = SplitMix64(state: 0x1A2B_3C4D)
        var parsed = 0
        for _ in 0..<3_000 {
            var bytes = seed
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let position = Int.random(in: 0..<bytes.count, using: &generator)
                let byte = alphabet.randomElement(using: &generator) ?? 0
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: bytes[position] = byte
                case 1: bytes.insert(byte, at: position)
                default: if bytes.count > 1 { bytes.remove(at: position) }
                }
            }
            if let value = try? JSONParser.parse(bytes) {
                parsed += 1
                #expect(try JSONParser.parse(value.jsonBytes()) == value)
            }
        }
        #expect(parsed > 0)
    }
}

@Suite("Storable field names")
struct StorableFieldNameTests {
    @Test("empty and NUL names are found at any depth, with their path; others pass")
    func findsUnstorableNames() throws {
        func check(_ json: String) throws -> String? {
            guard case .object(let object) = try JSONParser.parse(Array(json.utf8)) else { return "not an object" }
            return object.firstUnstorableFieldName
        }
        #expect(try check(#"{"a.b":1,"$c":{"d":[1,{"e":2}]}}"#) == nil)
        #expect(try check(#"{"":1}"#) == #""""#)
        #expect(try check(#"{"a":{"b":[0,{"x\u0000y":1}]}}"#) == #"a.b.1."x\u0000y""#)
    }

    /// The tape notes unstorable keys while parsing and skips its walk when there are none; what
    /// it finds must still be what the tree finds, whatever the key's escapes or depth.
    @Test("the tape finds the same names as the tree, and clean bodies pass")
    func tapeAgreesWithTheTree() throws {
        let bodies = [
            #"{"a.b":1,"$c":{"d":[1,{"e":2}]}}"#,
            #"{"v":"a\u0000b","w":["\u0000"],"x\ny":{"\u00e9":1}}"#,
            #"{"":1}"#,
            #"{"a":[{"b":1},{"":2}]}"#,
            #"{"a":{"b":[0,{"x\u0000y":1}]}}"#,
            #"{"ok":1,"deep":{"\u0000":null},"later":{"":1}}"#,
            #"[{"a":1},{"b":{"":2}}]"#,
        ]
        for body in bodies {
            let tape = try JSONParser.tape(Array(body.utf8))
            #expect(tape.firstUnstorableFieldName(tape.root) == tape.value(tape.root).firstUnstorableFieldName, "\(body)")
        }
        let clean = try JSONParser.tape(Array(bodies[1].utf8))
        #expect(clean.firstUnstorableFieldName(clean.root) == nil)
    }
}
