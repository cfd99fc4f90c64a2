/// Everything `inlet serve` needs to start, with the defaults of CONTRACT.md "Running it".
/// Built once by `fromEnvironment(_:)`; the CLI overlays its flags on the same values, so no
/// other code reads the environment.
public struct InletSettings: Sendable, Hashable, CustomStringConvertible {
    /// Public TLS listener (HTTP/2 and HTTP/1.1 by ALPN).
    public var listen = ListenAddress(host: "0.0.0.0", port: 8443)
    /// Plain-HTTP admin listener; loopback by default because it is unauthenticated.
    public var adminListen = ListenAddress(host: "127.0.0.1", port: 9090)
    public var tlsCertPath = "certs/dev.pem"
    public var tlsKeyPath = "certs/dev-key.pem"
    public var routesDirectory = "routes"
    public var redisURL = "redis://127.0.0.1:6379"
    /// The path names the database (see `mongoDatabase`).
    public var mongoURL = "mongodb://127.0.0.1:27017/inlet"
    /// Base URL of the campaign engine; `nil` turns forwarding off.
    public var engineURL: String? = nil
    /// HMAC secret for `X-Inlet-Signature`; required whenever `engineURL` is set.
    public var engineSecret: String? = nil
    /// The URL providers see; Twilio signs it, so it must match what they call exactly.
    public var publicURL = "https://localhost:8443"
    public var region: Region = .ind

    public var http2 = HTTP2Limits()
    public var connections = ConnectionLimits()
    public var bodies = BodyLimits()
    /// Concurrent bulk writes to MongoDB (`INLET_MONGO_FLUSHERS`).
    public var mongoFlushers = 1

    public init() {}

    /// The database named by `mongoURL`'s path, `inlet` when the path is empty.
    public var mongoDatabase: String {
        let afterScheme = mongoURL.split(separator: "://", maxSplits: 1).last ?? ""
        guard let slash = afterScheme.firstIndex(of: "/") else { return "inlet" }
        let path = afterScheme[afterScheme.index(after: slash)...].prefix { $0 != "?" }
        return path.isEmpty ? "inlet" : String(path)
    }

    /// Safe to log: the engine secret and any password inside a URL are redacted.
    public var description: String {
        let fields = [
            "listen: \(listen)",
            "adminListen: \(adminListen)",
            "tlsCertPath: \(tlsCertPath)",
            "tlsKeyPath: \(tlsKeyPath)",
            "routesDirectory: \(routesDirectory)",
            "redisURL: \(Self.redactingPassword(redisURL))",
            "mongoURL: \(Self.redactingPassword(mongoURL))",
            "engineURL: \(engineURL.map(Self.redactingPassword) ?? "none")",
            "engineSecret: \(engineSecret == nil ? "none" : "<redacted>")",
            "publicURL: \(publicURL)",
            "region: \(region)",
        ]
        return "InletSettings(\(fields.joined(separator: ", ")))"
    }

    /// Replaces the password of `scheme://user:password@host` with `<redacted>`.
    static func redactingPassword(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://"),
            let at = url[schemeEnd.upperBound...].firstIndex(of: "@")
        else { return url }
        let userInfo = url[schemeEnd.upperBound..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":<redacted>" + String(url[at...])
    }
}
