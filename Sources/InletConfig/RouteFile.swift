/// One tenant's route file, parsed and validated.
public struct RouteFile: Sendable, Hashable {
    /// The file's path as it was loaded, for messages.
    public var path: String
    public var tenant: String
    public var region: Region
    public var sources: [SourceRoute]
    public var triggers: [TriggerRule]

    public init(path: String, tenant: String, region: Region, sources: [SourceRoute], triggers: [TriggerRule]) {
        self.path = path
        self.tenant = tenant
        self.region = region
        self.sources = sources
        self.triggers = triggers
    }
}
