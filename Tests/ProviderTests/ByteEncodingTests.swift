import Foundation
import Testing

@testable import InletAuth

@Suite("Base64 in headers")
struct ByteEncodingTests {
    static let bytes: [UInt8] = Array("twenty bytes of mac!".utf8)
    static let encoded = Data(bytes).base64EncodedString()

    @Test(arguments: [encoded, " \(encoded)", "\(encoded)\t", "\t \(encoded) ", "\u{00A0}\(encoded)\u{2003}"])
    func decodesWithAnySurroundingWhitespace(_ text: String) {
        #expect(ByteEncoding.base64(text) == Self.bytes)
        #expect(ByteEncoding.base64(Substring(text)) == Self.bytes)
    }

    @Test(arguments: ["", " ", "\t", "not base64!", "\(encoded)\n", "\u{0001}\(encoded)", "\(encoded)é"])
    func refusesWhatIsNotBase64(_ text: String) {
        #expect(ByteEncoding.base64(text) == nil)
    }
}
