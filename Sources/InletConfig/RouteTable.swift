import InletModel

/// The validated route files, indexed for the request path: one dictionary look-up per request
/// for the source, one for the triggers of its tenant.
public struct RouteTable: Sendable {
    /// In file-name order.
    public let files: [RouteFile]
    /// SHA-256 (hex) of the route files' names and bytes in sorted order. Exposed on `/metrics`
    /// so that IDCs running different routes are visible. Files hold no secret values, so
    /// hashing them reveals nothing, and rotating a secret in the environment does not change it.
    public let fingerprint: String

    private let sourcesByID: [String: SourceRoute]
    private let filesByTenant: [String: RouteFile]
    private let triggersByDocument: [TriggerRule.Document: [String: [TriggerRule]]]

    /// Builds the indexes. Expects validated files (as `RouteLoader` produces); should a source
    /// id or tenant still repeat, the first one wins.
    public init(files: [RouteFile], fingerprint: String) {
        self.files = files
        self.fingerprint = fingerprint
        var sources: [String: SourceRoute] = [:]
        var tenants: [String: RouteFile] = [:]
        var triggers: [TriggerRule.Document: [String: [TriggerRule]]] = [:]
        for file in files {
            if tenants[file.tenant] == nil { tenants[file.tenant] = file }
            for source in file.sources where sources[source.id] == nil {
                sources[source.id] = source
            }
            for rule in file.triggers {
                triggers[rule.appliesTo, default: [:]][rule.tenantId, default: []].append(rule)
            }
        }
        sourcesByID = sources
        filesByTenant = tenants
        triggersByDocument = triggers
    }

    public func source(id: String) -> SourceRoute? { sourcesByID[id] }

    public func tenant(id: String) -> RouteFile? { filesByTenant[id] }

    /// Every source of every file, in file order.
    public var sources: [SourceRoute] { files.flatMap(\.sources) }

    /// The tenant's triggers that are evaluated against `document`s, in file order.
    public func triggers(tenantId: String, appliesTo document: TriggerRule.Document = .events) -> [TriggerRule] {
        triggersByDocument[document]?[tenantId] ?? []
    }

    /// The tenants routed to `region`, so a deployment can tell its own tenants from others'.
    public func tenants(in region: Region) -> [RouteFile] { files.filter { $0.region == region } }
}
