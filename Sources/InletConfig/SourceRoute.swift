import InletModel

/// A source of a route file, with its credentials resolved from the environment: what a
/// request to `/v1/<type>`, `/v1/hooks/{id}` or `/v1/imports/...` is checked against.
public struct SourceRoute: Sendable, Hashable {
    /// Unique across all route files; appears in `/v1/hooks/{id}` and in every stored document.
    public var id: String
    public var tenantId: String
    public var region: Region
    public var kind: SourceKind
    /// `nil` means not rate limited. Events sources always have one (see `defaultEventsRateLimit`).
    public var rateLimit: RateLimitPolicy?
    /// Empty for `events` and `imports`, whose keys live in `apiKeys`.
    public var credentials: ProviderCredentials

    public init(
        id: String, tenantId: String, region: Region, kind: SourceKind,
        rateLimit: RateLimitPolicy? = nil, credentials: ProviderCredentials = ProviderCredentials()
    ) {
        self.id = id
        self.tenantId = tenantId
        self.region = region
        self.kind = kind
        self.rateLimit = rateLimit
        self.credentials = credentials
    }

    /// Applied to an `events` source whose route file states no `rateLimit`: SDK traffic is
    /// bursty (flushes of queued events), and a forgotten limit should not mean an unlimited one.
    /// 1,000 events/s with a burst of 2,000, and fail open, so a Redis outage does not drop events.
    public static let defaultEventsRateLimit = RateLimitPolicy(perSecond: 1000, burst: 2000, onRedisDown: .open)
}
