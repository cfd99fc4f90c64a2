import InletModel

/// The `type` of a Segment event, as the spec names it.
public enum SegmentEventType: String, Sendable, Hashable, CaseIterable {
    case track, identify, page, screen, group, alias

    /// The type named by `utf8` (a string node's bytes), without making a `String` of it.
    init?(utf8 name: UnsafeBufferPointer<UInt8>) {
        func named(_ text: StaticString) -> Bool {
            JSONTape.bytes(name, equal: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        }
        switch name.count {
        case 5 where named("track"): self = .track
        case 8 where named("identify"): self = .identify
        case 4 where named("page"): self = .page
        case 6 where named("screen"): self = .screen
        case 5 where named("group"): self = .group
        case 5 where named("alias"): self = .alias
        default: return nil
        }
    }
}
