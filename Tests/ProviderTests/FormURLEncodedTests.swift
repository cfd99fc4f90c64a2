import InletAuth
import InletModel
import Testing

@Suite struct FormURLEncodedTests {
    @Test func decodesPlusAndPercent() throws {
        let pairs = try #require(FormURLEncoded.parse(Array("To=%2B1555+0100&Body=caf%C3%A9&empty=&flag".utf8)))
        #expect(pairs.map(\.0) == ["To", "Body", "empty", "flag"])
        #expect(pairs.map(\.1) == ["+1555 0100", "café", "", ""])
    }

    @Test func keepsOrderAndDuplicates() throws {
        let pairs = try #require(FormURLEncoded.parse(Array("b=2&a=1&b=3&&".utf8)))
        #expect(pairs.map(\.0) == ["b", "a", "b"])
        #expect(pairs.map(\.1) == ["2", "1", "3"])
    }

    @Test("unescaped bytes: ASCII taken as is, other UTF-8 validated")
    func unescapedBytes() throws {
        let pairs = try #require(FormURLEncoded.parse(Array("name=café&plain=abc".utf8)))
        #expect(pairs.map(\.1) == ["café", "abc"])
        #expect(FormURLEncoded.parse([UInt8(ascii: "a"), UInt8(ascii: "="), 0xFF]) == nil)
        #expect(FormURLEncoded.parse([0xC3, UInt8(ascii: "="), UInt8(ascii: "1")]) == nil)
    }

    @Test(arguments: ["a=%", "a=%4", "a=%zz", "a=%FF", "%C3=1", "a=%C3%28"])
    func refusesMalformedEscapesAndInvalidUTF8(_ input: String) {
        #expect(FormURLEncoded.parse(Array(input.utf8)) == nil)
    }
}

@Suite("Provider request headers")
struct ProviderRequestHeaderTests {
    @Test("header names match case-insensitively, letters only")
    func caseInsensitiveNames() {
        let request = ProviderRequest(method: "POST", path: "/", headers: [("X-Twilio-Signature", "a"), ("x-[", "b")], body: [], publicURL: "")
        #expect(request.header("x-twilio-signature") == "a")
        #expect(request.header("X-TWILIO-SIGNATURE") == "a")
        #expect(request.header("x-twilio-signaturf") == nil)
        #expect(request.header("x-{") == nil)  // '[' and '{' differ only in the bit that case flips
        #expect(request.header("x-[") == "b")
    }
}
