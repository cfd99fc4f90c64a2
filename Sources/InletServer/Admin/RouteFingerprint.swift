import Metrics

/// Publishes the loaded route files' fingerprint as `inlet_routes_info{fingerprint="…"} 1`, so
/// configuration drift between IDCs shows on `/metrics`.
enum RouteFingerprint {
    static func publish(_ fingerprint: String) {
        Gauge(label: "inlet_routes_info", dimensions: [("fingerprint", fingerprint)]).record(1)
    }
}
