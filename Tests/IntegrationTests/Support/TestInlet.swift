import AsyncHTTPClient
import Foundation
import InletConfig
import InletModel
import InletServer
import Logging
import MongoStore
import NIOCore
import NIOHTTP1

/// A whole inlet (front door, admin, store, Redis, routes) on free ports, with its own MongoDB
/// database and a route file written for the test.
struct TestInlet {
    let app: InletApplication
    let port: Int
    let adminPort: Int
    let database: String
    let client: HTTPClient
    /// Tenant and source names in the test's route files have `acme` replaced by this, so that
    /// Redis keys (rate limits, nonces) of parallel tests never meet.
    let acme: String

    static let defaultRoutes = """
        tenant: acme
        region: ind
        sources:
          - id: acme-web
            kind: events
            rateLimit: { perSecond: 100000, burst: 100000, onRedisDown: open }
          - id: acme-partner
            kind: imports
        """

    static func start(
        routes: String = defaultRoutes, extraRouteFiles: [String] = [], environment: [String: String] = [:],
        redisURL: String = TestServices.redisURL, configure: (inout InletSettings) -> Void = { _ in }
    ) async throws -> TestInlet {
        let acme = TestServices.unique("acme")
        let directory = NSTemporaryDirectory() + TestServices.unique("inlet")
        let routesDirectory = directory + "/routes"
        try FileManager.default.createDirectory(atPath: routesDirectory, withIntermediateDirectories: true)
        for (index, text) in ([routes] + extraRouteFiles).enumerated() {
            try Data(text.replacingOccurrences(of: "acme", with: acme).utf8).write(to: URL(fileURLWithPath: "\(routesDirectory)/tenant\(index).yaml"))
        }
        let table = try RouteLoader.load(directory: routesDirectory, environment: environment).get()
        let certificates = try DevCertificate.write(to: directory + "/certs")
        let database = TestServices.unique("inlet")
        var settings = InletSettings()
        settings.listen = ListenAddress(host: "127.0.0.1", port: 0)
        settings.adminListen = ListenAddress(host: "127.0.0.1", port: 0)
        settings.tlsCertPath = certificates.certificate
        settings.tlsKeyPath = certificates.key
        settings.routesDirectory = routesDirectory
        settings.redisURL = redisURL
        settings.mongoURL = TestServices.mongoURL(database: database)
        configure(&settings)
        let app = try InletApplication(settings: settings, routes: table, logger: Logger(label: "test.inlet"))
        let addresses = try await app.start()
        return TestInlet(app: app, port: addresses.public.port!, adminPort: addresses.admin.port!, database: database,
                         client: .insecure(), acme: acme)
    }

    func stop() async {
        try? await client.shutdown()
        await app.stop()
    }

    var baseURL: String { "https://localhost:\(port)" }

    /// A key for a source, named as in the route text (`acme`, `acme-web`).
    func createKey(tenant: String = "acme", source: String = "acme-web") async throws -> String {
        try await app.keys.create(tenantId: tenant.replacingOccurrences(of: "acme", with: acme),
                                  sourceId: source.replacingOccurrences(of: "acme", with: acme))
    }

    var tenant: String { acme }

    /// Sends a request and returns its status, headers and body as text.
    func send(
        _ method: HTTPMethod = .POST, _ path: String, body: [UInt8]? = nil, headers: [(String, String)] = []
    ) async throws -> (status: HTTPResponseStatus, headers: HTTPHeaders, body: String) {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await client.execute(request, timeout: .seconds(30))
        let text = String(buffer: try await response.body.collect(upTo: 4 << 20))
        return (response.status, response.headers, text)
    }

    func sendJSON(_ path: String, _ json: String, key: String?, extraHeaders: [(String, String)] = []) async throws
        -> (status: HTTPResponseStatus, headers: HTTPHeaders, body: String)
    {
        var headers = [("content-type", "application/json")] + extraHeaders
        if let key { headers.append(("authorization", "Basic " + Data((key + ":").utf8).base64EncodedString())) }
        return try await send(.POST, path, body: Array(json.utf8), headers: headers)
    }

    func admin(_ path: String) async throws -> (status: HTTPResponseStatus, body: String) {
        let plain = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { _ = plain.shutdown() }
        let response = try await plain.execute(HTTPClientRequest(url: "http://127.0.0.1:\(adminPort)\(path)"), timeout: .seconds(10))
        return (response.status, String(buffer: try await response.body.collect(upTo: 4 << 20)))
    }

    func documents(_ collection: String, _ filter: JSONObject = [:]) async throws -> [JSONObject] {
        try await app.store.find(collection, filter: filter, sort: nil, limit: 10_000)
    }
}
