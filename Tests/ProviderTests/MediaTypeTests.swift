import InletModel
import Testing

@Suite("Content-Type media types")
struct MediaTypeTests {
    @Test(arguments: [
        ("application/json", true),
        ("Application/JSON", true),
        ("APPLICATION/JSON; charset=utf-8", true),
        ("application/json;charset=UTF-8", true),
        (" \tapplication/json \t; charset=utf-8", true),
        ("application/json ", true),
        ("application/jsonx", false),
        ("application/jso", false),
        ("application/json-seq", false),
        ("application /json", false),
        ("text/json", false),
        ("", false),
        (";", false),
        ("; application/json", false),
        ("application/json\u{00A0}", false),
        ("applicat\u{0130}on/json", false),
    ])
    func matchesApplicationJSON(_ value: String, _ expected: Bool) {
        #expect(MediaType.matches(value, "application/json") == expected, "\(value)")
    }

    @Test("digits and punctuation must match exactly; only letters fold")
    func onlyLettersFold() {
        #expect(MediaType.matches("APPLICATION/X-WWW-FORM-URLENCODED", "application/x-www-form-urlencoded"))
        // `\r` is `-` | 0x20 and `\u{0F}` is `/` without it: neither is the same character.
        #expect(!MediaType.matches("application\u{0F}json", "application/json"))
        #expect(!MediaType.matches("application/x\rwww-form-urlencoded", "application/x-www-form-urlencoded"))
    }
}
