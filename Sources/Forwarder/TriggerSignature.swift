import Crypto

/// The `X-Inlet-Signature` header of CONTRACT.md "Campaign triggers": the timestamp is inside the
/// MAC so the engine can refuse replays of an old delivery, and the body is signed as sent, byte
/// for byte, so the engine verifies before it parses.
public enum TriggerSignature {
    /// `t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>" keyed with secret>`.
    public static func header(body: [UInt8], secret: String, timestamp: Int) -> String {
        var message = Array(String(timestamp).utf8)
        message.append(UInt8(ascii: "."))
        message.append(contentsOf: body)
        let code = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Array(secret.utf8)))
        return "t=\(timestamp),v1=\(hex(code))"
    }

    static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
