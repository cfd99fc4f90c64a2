import Crypto
import Foundation
import X509

/// A self-signed ECDSA P-256 certificate for `localhost`, for development and tests only.
/// Generated on demand so no private key is ever committed.
public enum DevCertificate {
    public struct PEM: Sendable {
        public var certificate: String
        public var privateKey: String
    }

    public static func make(commonName: String = "localhost", validFor days: Int = 365) throws -> PEM {
        let signingKey = P256.Signing.PrivateKey()
        let key = Certificate.PrivateKey(signingKey)
        let name = try DistinguishedName { CommonName(commonName) }
        let now = Date()
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            KeyUsage(digitalSignature: true)
            try ExtendedKeyUsage([.serverAuth])
            SubjectAlternativeNames([.dnsName("localhost")])
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: key.publicKey,
            notValidBefore: now.addingTimeInterval(-60), notValidAfter: now.addingTimeInterval(Double(days) * 86_400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions, issuerPrivateKey: key
        )
        return PEM(certificate: try certificate.serializeAsPEM().pemString + "\n", privateKey: signingKey.pemRepresentation + "\n")
    }

    /// Writes `dev.pem` and `dev-key.pem` into `directory` (the key readable by its owner only).
    public static func write(to directory: String, commonName: String = "localhost") throws -> (certificate: String, key: String) {
        let pem = try make(commonName: commonName)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let certificatePath = (directory as NSString).appendingPathComponent("dev.pem")
        let keyPath = (directory as NSString).appendingPathComponent("dev-key.pem")
        try Data(pem.certificate.utf8).write(to: URL(fileURLWithPath: certificatePath))
        FileManager.default.createFile(atPath: keyPath, contents: Data(pem.privateKey.utf8), attributes: [.posixPermissions: 0o600])
        return (certificatePath, keyPath)
    }
}
