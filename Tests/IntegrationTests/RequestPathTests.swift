import Testing

@testable import InletServer

@Suite("Request targets read in place")
struct RequestPathTests {
    @Test(arguments: [
        ("/v1/hooks/acme?x=1&y=2", "/v1/hooks/acme", "x=1&y=2"),
        ("/v1/track", "/v1/track", nil),
        ("/v1/track?", "/v1/track", ""),
        ("/a?b?c", "/a", "b?c"),
        ("?q", "", "q"),
        ("", "", nil),
    ] as [(String, String, String?)])
    func pathAndQuery(_ uri: String, _ path: String, _ query: String?) {
        #expect(RequestPath.path(of: uri) == path)
        #expect(RequestPath.query(of: uri).map(String.init) == query)
    }

    @Test(arguments: [
        ("/v1/hooks/acme-twilio", "acme-twilio"),
        ("/v1/hooks/acme-twilio/", "acme-twilio"),
        ("/v1/hooks/acme//", "acme"),
        ("acme", "acme"),
        ("/", ""),
        ("", ""),
        ("/v1/hooks/café", "café"),
    ])
    func lastSegment(_ path: String, _ expected: String) {
        #expect(RequestPath.lastSegment(of: Substring(path)) == expected)
        // The same as splitting into an array, which this replaces.
        #expect(RequestPath.lastSegment(of: Substring(path)) == path.split(separator: "/").last ?? "")
    }

    @Test(arguments: ["/v1/track", "//v1//hooks//acme/", "/", "", "v1", "/v1/imports/users/extra", "/a/b/c/d/e"])
    func segmentsMatchSplit(_ path: String) {
        #expect(Array(PathSegments(Substring(path))) == path.split(separator: "/"))
    }

    @Test("the router sees the same paths as before: empty segments ignored, two or three segments routed")
    func routes() {
        let router = InletRouter(events: PingEndpoint(), hooks: PingEndpoint(), imports: nil, importStatus: PingEndpoint())
        #expect(router.route(method: "POST", path: "/v1/track")?.label == "track")
        #expect(router.route(method: "POST", path: "//v1//t/")?.label == "t")
        #expect(router.route(method: "POST", path: "/v1/nothing") == nil)
        #expect(router.route(method: "GET", path: "/v1/track") == nil)
        #expect(router.route(method: "POST", path: "/v1/hooks/acme")?.label == "hooks")
        #expect(router.route(method: "GET", path: "/v1/hooks/acme/")?.label == "hooks")
        #expect(router.route(method: "POST", path: "/v1/hooks/acme/extra") == nil)
        #expect(router.route(method: "POST", path: "/v1/hooks") == nil)
        #expect(router.route(method: "GET", path: "/v1/imports/imp_1")?.label == "import_status")
        #expect(router.route(method: "POST", path: "/v2/track") == nil)
        #expect(router.route(method: "GET", path: "/ping")?.label == "ping")
        #expect(router.route(method: "GET", path: "/healthz")?.label == "healthz")
        #expect(router.route(method: "GET", path: "/ping/") == nil)
    }
}
