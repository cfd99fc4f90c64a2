import Crypto
import Foundation
import InletAuth
import InletModel
import X509
import _CryptoExtras

/// Signs fixtures the way each provider documents it, with swift-crypto primitives called
/// directly: an implementation independent of `ProviderVerifier`.
enum TestSigner {
    static let now = Date(timeIntervalSince1970: 1_700_000_000)
    static var nowSeconds: String { String(Int(now.timeIntervalSince1970)) }

    static func hmacSHA1Base64(key: String, _ message: String) -> String {
        Data(HMAC<Insecure.SHA1>.authenticationCode(for: Data(message.utf8), using: SymmetricKey(data: Data(key.utf8)))).base64EncodedString()
    }

    static func hmacSHA256Hex(key: some DataProtocol, _ message: some DataProtocol) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(message), using: SymmetricKey(data: Data(key))).map { String(format: "%02x", $0) }.joined()
    }

    static func hmacSHA256Base64(key: some DataProtocol, _ message: some DataProtocol) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: Data(message), using: SymmetricKey(data: Data(key)))).base64EncodedString()
    }

    static func sha256Hex(_ bytes: some DataProtocol) -> String {
        SHA256.hash(data: Data(bytes)).map { String(format: "%02x", $0) }.joined()
    }

    /// An RSA key and a self-signed certificate standing in for SNS's signing certificate.
    static func snsKeyAndCertificate() throws -> (key: _RSA.Signing.PrivateKey, pem: String) {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let name = try DistinguishedName { CommonName("sns.us-east-1.amazonaws.com") }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: now - 86_400, notValidAfter: now + 86_400, issuer: name, subject: name,
            extensions: Certificate.Extensions(), issuerPrivateKey: Certificate.PrivateKey(key)
        )
        return (key, try certificate.serializeAsPEM().pemString)
    }

    static func request(
        method: String = "POST", path: String = "/v1/hooks/src", headers: [(String, String)] = [], body: [UInt8],
        publicURL: String = "https://hooks.example.com"
    ) -> ProviderRequest {
        ProviderRequest(method: method, path: path, headers: headers.map { (name: $0.0, value: $0.1) }, body: body, publicURL: publicURL)
    }
}

extension ProviderVerification {
    var rejectionReason: String? {
        if case .rejected(let reason) = self { return reason }
        return nil
    }
}

extension String {
    var bytes: [UInt8] { Array(utf8) }

    /// The same text with one bit of byte `index` flipped.
    func flippingBit(at index: Int) -> [UInt8] {
        var bytes = Array(utf8)
        bytes[index] ^= 0x01
        return bytes
    }
}
