import NIOCore

/// `GET /ping` → `204`: the cheapest complete request, for the front-door benchmark against nginx.
struct PingEndpoint: Endpoint {
    func respond(to request: InletRequest, on eventLoop: any EventLoop, answer: @escaping EndpointAnswer) {
        answer(.success(InletResponse(status: .noContent)))
    }
}

/// `GET /healthz` on the public port as on the admin one: load balancers check liveness through
/// the TLS listener they send traffic to. Says nothing about Redis or MongoDB (that is `/readyz`,
/// admin only).
struct LivenessEndpoint: Endpoint {
    static let body = Array(#"{"status":"ok"}"#.utf8)

    func respond(to request: InletRequest, on eventLoop: any EventLoop, answer: @escaping EndpointAnswer) {
        answer(.success(.json(.ok, Self.body)))
    }
}
