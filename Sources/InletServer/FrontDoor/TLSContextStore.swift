import NIOConcurrencyHelpers
import NIOSSL

/// Holds the TLS context new connections use. `reload()` re-reads the certificate and key (on
/// `SIGHUP`): handshakes after it get the new certificate, open connections keep theirs.
public final class TLSContextStore: Sendable {
    private let certificatePath: String
    private let keyPath: String
    private let current: NIOLockedValueBox<NIOSSLContext>

    public init(certificatePath: String, keyPath: String) throws {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.current = NIOLockedValueBox(try Self.makeContext(certificatePath: certificatePath, keyPath: keyPath))
    }

    public var context: NIOSSLContext { current.withLockedValue { $0 } }

    /// Loads the files again; on failure the old context stays in use and the error is thrown.
    public func reload() throws {
        let fresh = try Self.makeContext(certificatePath: certificatePath, keyPath: keyPath)
        current.withLockedValue { $0 = fresh }
    }

    /// TLS 1.2 at least (1.3 preferred by negotiation), ALPN `h2` then `http/1.1`.
    static func makeContext(certificatePath: String, keyPath: String) throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMFile(certificatePath).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = ["h2", "http/1.1"]
        return try NIOSSLContext(configuration: configuration)
    }
}
