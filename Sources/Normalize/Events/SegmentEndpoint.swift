/// The Segment HTTP Tracking API paths under `/v1/`. The server routes on the raw value.
public enum SegmentEndpoint: String, Sendable, Hashable, CaseIterable {
    case track, identify, page, screen, group, alias, batch, `import`

    /// Reads the last path component of `/v1/{endpoint}`. analytics.js posts to the one-letter
    /// forms (`/v1/t`, `/v1/p`, ...), so those are accepted too.
    public init?(pathComponent: some StringProtocol) {
        switch pathComponent {
        case "track", "t": self = .track
        case "identify", "i": self = .identify
        case "page", "p": self = .page
        case "screen", "s": self = .screen
        case "group", "g": self = .group
        case "alias", "a": self = .alias
        case "batch", "b": self = .batch
        case "import": self = .import
        default: return nil
        }
    }

    /// The event type a single-event path forces on its body; `nil` for `batch` and `import`,
    /// whose events each carry their own `type`.
    public var eventType: SegmentEventType? {
        switch self {
        case .track: return .track
        case .identify: return .identify
        case .page: return .page
        case .screen: return .screen
        case .group: return .group
        case .alias: return .alias
        case .batch, .import: return nil
        }
    }
}
