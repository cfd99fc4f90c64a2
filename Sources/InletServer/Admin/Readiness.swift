import InletModel
import NIOCore

/// One dependency's answer to a readiness probe.
public struct DependencyStatus: Sendable, Hashable {
    public var name: String
    public var isUp: Bool
    /// Why it is down, safe to show: never a URL with credentials.
    public var detail: String?

    public init(name: String, isUp: Bool, detail: String? = nil) {
        self.name = name
        self.isUp = isUp
        self.detail = detail
    }
}

/// Asks every dependency at once; `/readyz` is `200` only when all answer.
public struct Readiness: Sendable {
    public typealias Probe = @Sendable (any EventLoop) -> EventLoopFuture<DependencyStatus>
    private let probes: [Probe]

    public init(probes: [Probe]) {
        self.probes = probes
    }

    public func check(on eventLoop: any EventLoop) -> EventLoopFuture<[DependencyStatus]> {
        EventLoopFuture.whenAllSucceed(probes.map { $0(eventLoop) }, on: eventLoop)
    }

    /// The `/readyz` body: `{"ready":bool,"dependencies":{"redis":"up","mongodb":"down: ..."}}`.
    static func render(_ statuses: [DependencyStatus]) -> (ready: Bool, body: [UInt8]) {
        var dependencies = JSONObject()
        for status in statuses {
            dependencies[status.name] = .string(status.isUp ? "up" : "down" + (status.detail.map { ": \($0)" } ?? ""))
        }
        let ready = statuses.allSatisfy(\.isUp)
        let down = statuses.filter { !$0.isUp }.map { JSONValue.string($0.name) }
        let body: JSONValue = ["ready": .bool(ready), "down": .array(down), "dependencies": .object(dependencies)]
        return (ready, body.jsonBytes())
    }
}
