import InletModel

/// A source of a route file, with its credentials resolved from the environment: what a
/// request to `/v1/<type>`, `/v1/hooks/{id}` or `/v1/imports/...` is checked against.
///
/// A class of constants rather than a struct: a request's callbacks each hold its route, and
/// copying a struct of six reference-counted fields cost a retain and a release per field per
/// copy, several copies per request.
public final class SourceRoute: Sendable, Hashable {
    /// Unique across all route files; appears in `/v1/hooks/{id}` and in every stored document.
    public let id: String
    public let tenantId: String
    public let region: Region
    public let kind: SourceKind
    /// `nil` means not rate limited. Events sources always have one (see `defaultEventsRateLimit`).
    public let rateLimit: RateLimitPolicy?
    /// Empty for `events` and `imports`, whose keys live in `apiKeys`.
    public let credentials: ProviderCredentials

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
    public static func == (left: SourceRoute, right: SourceRoute) -> Bool {
        left === right
            || (left.id == right.id && left.tenantId == right.tenantId && left.region == right.region && left.kind == right.kind
                && left.rateLimit == right.rateLimit && left.credentials == right.credentials)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(tenantId)
        hasher.combine(region)
        hasher.combine(kind)
        hasher.combine(rateLimit)
        hasher.combine(credentials)
    }

    public static let defaultEventsRateLimit = RateLimitPolicy(perSecond: 1000, burst: 2000, onRedisDown: .open)
}
