import InletModel

/// A campaign trigger of a route file, compiled once at load. Written to `triggers` with the
/// document it matched; the forwarder sends it to the campaign engine.
///
/// In the route file, `when` holds shorthands and a `where`:
/// ```yaml
/// when: { type: track, event: Order Completed, where: { properties.total: { gte: 100 } } }
/// when: { collection: deliveryEvents, status: bounced, where: { channel: { eq: email } } }
/// ```
/// `collection` picks the documents the rule sees: `events` (the default: normalised SDK and CSV
/// events) or `deliveryEvents` (normalised provider callbacks). `type` and `event` (events) and
/// `status` (delivery events) are shorthands for `eq` on those top-level fields, or `in` when
/// given a list. All conditions must hold.
public struct TriggerRule: Sendable, Hashable {
    /// Which stored documents a rule is evaluated against.
    public enum Document: String, Sendable, Hashable, CaseIterable {
        case events
        case deliveryEvents
    }

    /// Unique within the tenant; part of the trigger's idempotency id.
    public var id: String
    public var tenantId: String
    public var appliesTo: Document
    public var campaign: String
    public var conditions: [TriggerCondition]

    public init(id: String, tenantId: String, appliesTo: Document, campaign: String, conditions: [TriggerCondition]) {
        self.id = id
        self.tenantId = tenantId
        self.appliesTo = appliesTo
        self.campaign = campaign
        self.conditions = conditions
    }

    /// Whether `document` (a normalised event or delivery event) fires this trigger.
    public func matches(_ document: JSONValue) -> Bool {
        conditions.allSatisfy { $0.matches(document) }
    }

    /// Whether `document` fires this trigger; normalisation produces objects, so this avoids wrapping.
    public func matches(_ document: JSONObject) -> Bool {
        matches(.object(document))
    }
}
