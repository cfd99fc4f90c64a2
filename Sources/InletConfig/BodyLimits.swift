import InletModel

/// Request body limits by route kind. The events limits come from CONTRACT.md ("500 KB per
/// request after decompression"); the compressed limit sits just above so a body that cannot
/// fit once inflated is refused before it is read. The per-event limit is `EventLimits`'.
public struct BodyLimits: Sendable, Hashable {
    /// `/v1/<type>` and `/v1/batch` bodies as sent (possibly gzip).
    public var eventsCompressedBytes: Int = 512 * 1024
    /// The same bodies after decompression; the bound that stops a gzip bomb.
    public var eventsDecompressedBytes: Int = 500_000
    /// Provider callbacks on `/v1/hooks/{sourceId}`.
    public var hooksBytes: Int = 1024 * 1024
    /// CSV imports; `nil` means unlimited, since they are streamed and memory does not grow with them.
    public var importsBytes: Int? = nil

    public init() {}

    /// The limit on the bytes received for a request to a source of `kind`; `nil` when unlimited.
    public func maxBodyBytes(for kind: SourceKind) -> Int? {
        switch kind {
        case .events: return eventsCompressedBytes
        case .imports: return importsBytes
        case .twilio, .sendgrid, .mailgun, .whatsapp, .ses, .postmark, .standardWebhooks: return hooksBytes
        }
    }
}
