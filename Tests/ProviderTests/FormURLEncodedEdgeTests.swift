import InletModel
import Testing

/// Edge cases of form decoding, which Twilio's signature and events are computed from.
@Suite struct FormURLEncodedEdgeTests {
    func parsed(_ text: String) -> [[String]]? {
        FormURLEncoded.parse(Array(text.utf8))?.map { [$0.0, $0.1] }
    }

    @Test func plusIsASpaceInNamesAndValuesAndAnEscapedPlusIsAPlus() {
        #expect(parsed("a+b=c+d&e=%2B%2b") == [["a b", "c d"], ["e", "++"]])
    }

    @Test func escapesOfEitherCaseAndEscapedSeparators() {
        #expect(parsed("k%3D=v%26w&x=%3d%3D") == [["k=", "v&w"], ["x", "=="]])
        #expect(parsed("a=%41%5a%7e") == [["a", "AZ~"]])
    }

    @Test func onlyTheFirstEqualsSplits() {
        #expect(parsed("a=b=c&d==") == [["a", "b=c"], ["d", "="]])
    }

    @Test func emptyNamesValuesAndSegments() {
        #expect(parsed("=x&y=&z&&&") == [["", "x"], ["y", ""], ["z", ""]])
        #expect(parsed("") == [])
        #expect(parsed("&&") == [])
        #expect(parsed("=") == [["", ""]])
    }

    @Test func repeatedKeysKeepTheirOrder() {
        #expect(parsed("To=1&To=2&From=3&To=%33") == [["To", "1"], ["To", "2"], ["From", "3"], ["To", "3"]])
    }

    @Test func escapedNULAndMultibyteCharacters() {
        #expect(parsed("n%00m=%E2%82%AC+%F0%9F%99%82") == [["n\u{0}m", "€ 🙂"]])
    }

    @Test(arguments: ["a=b%", "a=b%2", "a=%2g", "a=%g2", "%=1", "a=%%41", "a=%C3", "a=%E2%82", "a=%80", "a=%ED%A0%80"])
    func badEscapesAnywhereRefuseTheWholeForm(_ input: String) {
        #expect(parsed(input) == nil)
        #expect(parsed("ok=1&" + input + "&more=2") == nil)
    }

    @Test func aLongEscapedValueDecodesWhole() {
        let value = String(repeating: "%41+", count: 5_000)
        #expect(parsed("v=" + value) == [["v", String(repeating: "A ", count: 5_000)]])
    }

    @Test func queryStringsParseAsBodiesDo() {
        let text = "x=1&bodySHA256=ab%2Bcd&x=2"
        #expect(FormURLEncoded.parse(Substring(text))?.map { [$0.0, $0.1] } == parsed(text))
        #expect(FormURLEncoded.parse(text.dropFirst(4))?.map { [$0.0, $0.1] } == [["bodySHA256", "ab+cd"], ["x", "2"]])
    }
}
