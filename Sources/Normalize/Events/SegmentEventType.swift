/// The `type` of a Segment event, as the spec names it.
public enum SegmentEventType: String, Sendable, Hashable, CaseIterable {
    case track, identify, page, screen, group, alias

    /// The type named by `utf8` (a string node's bytes), without making a `String` of it.
    init?(utf8 name: UnsafeBufferPointer<UInt8>) {
        for type in Self.allCases where type.utf8Name.utf8CodeUnitCount == name.count {
            let expected = UnsafeBufferPointer(start: type.utf8Name.utf8Start, count: type.utf8Name.utf8CodeUnitCount)
            if expected.elementsEqual(name) {
                self = type
                return
            }
        }
        return nil
    }

    private var utf8Name: StaticString {
        switch self {
        case .track: return "track"
        case .identify: return "identify"
        case .page: return "page"
        case .screen: return "screen"
        case .group: return "group"
        case .alias: return "alias"
        }
    }
}
