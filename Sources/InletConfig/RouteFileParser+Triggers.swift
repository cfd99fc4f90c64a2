import InletModel
import Yams

extension RouteFileParser {
    /// Segment's event types, the values `when.type` can take.
    static let eventTypes: Set<String> = ["track", "identify", "page", "screen", "group", "alias"]
    /// CONTRACT.md's canonical delivery statuses, the values `when.status` can take.
    static let deliveryStatuses: Set<String> = [
        "queued", "sent", "delivered", "read", "opened", "clicked", "deferred", "bounced", "dropped", "failed",
        "complained", "unsubscribed",
    ]

    /// Parses one entry of `triggers` into a compiled rule; returns the id with its line even
    /// when the rest is wrong, so duplicate ids are still found.
    mutating func parseTrigger(_ node: Node, tenant: String?) -> (TriggerRule?, (id: String, line: Int)?) {
        guard let map = mapping(node, what: "a trigger") else { return (nil, nil) }
        let errorsBefore = errors.count
        checkKeys(map, allowed: ["id", "when", "campaign"], in: "a trigger")
        let id = requiredIdentifier(map, key: "id", in: "a trigger")
        let name = id.map { "trigger '\($0.id)'" } ?? "a trigger"
        let campaign = required(map, key: "campaign", in: name).flatMap { scalarString($0, what: "'campaign' of \(name)") }
        let when = required(map, key: "when", in: name).flatMap { parseWhen($0, in: name) }
        guard errors.count == errorsBefore, let id, let campaign, let when, let tenant else { return (nil, id) }
        let rule = TriggerRule(
            id: id.id, tenantId: tenant, appliesTo: when.document, campaign: campaign, conditions: when.conditions)
        return (rule, id)
    }

    private mutating func parseWhen(_ node: Node, in name: String) -> (document: TriggerRule.Document, conditions: [TriggerCondition])? {
        let context = "'when' of \(name)"
        guard let map = mapping(node, what: context) else { return nil }
        let errorsBefore = errors.count
        checkKeys(map, allowed: ["collection", "type", "event", "status", "where"], in: context)

        var document = TriggerRule.Document.events
        if let node = map["collection"] {
            let choices = TriggerRule.Document.allCases.map(\.rawValue).joined(separator: ", ")
            guard let text = node.scalar?.string, let parsed = TriggerRule.Document(rawValue: text) else {
                report(node, "'collection' of \(name) must be one of \(choices)")
                return nil
            }
            document = parsed
        }

        var conditions: [TriggerCondition] = []
        let shorthands: [(key: String, document: TriggerRule.Document, allowed: Set<String>?)] = [
            ("type", .events, Self.eventTypes), ("event", .events, nil), ("status", .deliveryEvents, Self.deliveryStatuses),
        ]
        for shorthand in shorthands {
            guard let (keyNode, valueNode) = map.first(where: { $0.key.scalar?.string == shorthand.key }) else { continue }
            guard shorthand.document == document else {
                report(keyNode, "'\(shorthand.key)' does not apply to \(document.rawValue) (\(name)); use 'where'")
                continue
            }
            if let condition = parseShorthand(valueNode, key: shorthand.key, allowed: shorthand.allowed, in: name) {
                conditions.append(condition)
            }
        }

        if let whereNode = map["where"], let whereMap = mapping(whereNode, what: "'where' of \(name)") {
            for (pathNode, operatorsNode) in whereMap {
                conditions += parseConditions(path: pathNode, operators: operatorsNode, in: name)
            }
        }
        if conditions.isEmpty, errors.count == errorsBefore {
            report(node, "\(context) has no condition; it would fire on every \(document == .events ? "event" : "delivery event")")
        }
        return (document, conditions)
    }

    /// `type: track` is `eq`, `status: [bounced, dropped]` is `in`.
    private mutating func parseShorthand(_ node: Node, key: String, allowed: Set<String>?, in name: String) -> TriggerCondition? {
        let values: [Node] = if case .sequence(let list) = node { Array(list) } else { [node] }
        var texts: [String] = []
        for value in values {
            guard let text = scalarString(value, what: "'\(key)' of \(name)") else { return nil }
            if let allowed, !allowed.contains(text) {
                report(value, "unknown \(key) '\(text)' in \(name), expected one of \(allowed.sorted().joined(separator: ", "))")
                return nil
            }
            texts.append(text)
        }
        if values.isEmpty {
            report(node, "'\(key)' of \(name) must not be empty")
            return nil
        }
        let isList = if case .sequence = node { true } else { false }
        return isList
            ? try? TriggerCondition(path: key, op: .in, operand: .array(texts.map(JSONValue.string)))
            : try? TriggerCondition(path: key, op: .eq, operand: .string(texts[0]))
    }

    /// `properties.total: { gte: 100, lt: 1000 }` becomes one condition per operator.
    private mutating func parseConditions(path pathNode: Node, operators node: Node, in name: String) -> [TriggerCondition] {
        guard let path = pathNode.scalar?.string,
            !path.isEmpty, !path.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty)
        else {
            report(pathNode, "a path in 'where' of \(name) must be dotted field names, like properties.total")
            return []
        }
        guard case .mapping(let operators) = node, !operators.isEmpty else {
            report(node, "'\(path)' in \(name) needs operators, like { eq: value }")
            return []
        }
        var conditions: [TriggerCondition] = []
        for (opNode, operandNode) in operators {
            let choices = TriggerCondition.Operator.allCases.map(\.rawValue).joined(separator: ", ")
            guard let opName = opNode.scalar?.string, let op = TriggerCondition.Operator(rawValue: opName) else {
                report(opNode, "unknown operator '\(opNode.scalar?.string ?? "?")' on '\(path)' in \(name), expected one of \(choices)")
                continue
            }
            do {
                conditions.append(try TriggerCondition(path: path, op: op, operand: Self.jsonValue(operandNode)))
            } catch {
                report(operandNode, "\(error.message) (on '\(path)' in \(name))")
            }
        }
        return conditions
    }
}
