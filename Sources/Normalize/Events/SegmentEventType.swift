/// The `type` of a Segment event, as the spec names it.
public enum SegmentEventType: String, Sendable, Hashable, CaseIterable {
    case track, identify, page, screen, group, alias
}
