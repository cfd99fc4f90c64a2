/// The public paths of CONTRACT.md and who answers each.
public struct InletRouter: Router {
    public struct Limits: Sendable {
        public var eventsBodyBytes: Int = 500_000
        public var hooksBodyBytes: Int = 1024 * 1024
        public init() {}
    }

    public var events: (any Endpoint)?
    public var hooks: (any Endpoint)?
    public var imports: (any StreamingEndpoint)?
    public var importStatus: (any Endpoint)?
    public var limits: Limits

    public init(events: (any Endpoint)?, hooks: (any Endpoint)?, imports: (any StreamingEndpoint)?, importStatus: (any Endpoint)?,
                limits: Limits = .init()) {
        self.events = events
        self.hooks = hooks
        self.imports = imports
        self.importStatus = importStatus
        self.limits = limits
    }

    /// The Segment paths (`import` is the same as `batch`), and analytics.js's one-letter forms.
    /// A `switch` rather than a `Set`: hashing the name showed in profiles, and `track` is the first case.
    static func isEventPath(_ name: Substring) -> Bool {
        switch name {
        case "track", "identify", "page", "screen", "group", "alias", "batch", "import", "t", "i", "p", "s", "g", "a", "b":
            return true
        default:
            return false
        }
    }

    public func route(method: String, path: Substring) -> RouteTarget? {
        var segments = PathSegments(path)
        guard segments.next() == "v1", let name = segments.next() else {
            if path == "/ping", method == "GET" { return RouteTarget(label: "ping", endpoint: PingEndpoint(), maxBodyBytes: 0, acceptsGzip: false) }
            if path == "/healthz", method == "GET" {
                return RouteTarget(label: "healthz", endpoint: LivenessEndpoint(), maxBodyBytes: 0, acceptsGzip: false)
            }
            return nil
        }
        // Only two- and three-segment paths are routed; any longer one counts as four.
        let count = segments.next() == nil ? 2 : segments.next() == nil ? 3 : 4
        switch (method, count, name) {
        case ("POST", 2, let name) where Self.isEventPath(name):
            guard let events else { return nil }
            return RouteTarget(label: String(name), endpoint: events, maxBodyBytes: limits.eventsBodyBytes, acceptsGzip: true)
        case ("POST", 3, "hooks"), ("GET", 3, "hooks"):
            guard let hooks else { return nil }
            return RouteTarget(label: "hooks", endpoint: hooks, maxBodyBytes: limits.hooksBodyBytes, acceptsGzip: true)
        case ("POST", 3, "imports"):
            guard let imports else { return nil }
            return RouteTarget(label: "imports", streaming: imports, acceptsGzip: true)
        case ("GET", 3, "imports"):
            guard let importStatus else { return nil }
            return RouteTarget(label: "import_status", endpoint: importStatus, maxBodyBytes: 0, acceptsGzip: false)
        default:
            return nil
        }
    }
}
