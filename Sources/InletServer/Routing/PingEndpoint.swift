import NIOCore

/// `GET /ping` → `204`: the cheapest complete request, for the front-door benchmark against nginx.
struct PingEndpoint: Endpoint {
    func respond(to request: InletRequest, on eventLoop: any EventLoop) -> EventLoopFuture<InletResponse> {
        eventLoop.makeSucceededFuture(InletResponse(status: .noContent))
    }
}
