import Foundation
import InletConfig
import InletModel
import Testing

/// One row of the matching table: `path: { op: operand }` against `TriggerConditionTests.event`.
struct MatchCase: Sendable, CustomTestStringConvertible {
    var path: String
    var op: TriggerCondition.Operator
    var operand: JSONValue
    var matches: Bool

    init(_ path: String, _ op: TriggerCondition.Operator, _ operand: JSONValue, _ matches: Bool) {
        self.path = path
        self.op = op
        self.operand = operand
        self.matches = matches
    }

    var testDescription: String { "\(path) \(op) \(operand) → \(matches)" }
}

@Suite struct TriggerConditionTests {
    static let june1 = Date(timeIntervalSince1970: 1_717_236_000)  // 2024-06-01T10:00:00Z

    static let event: JSONValue = [
        "type": "track",
        "event": "Order Completed",
        "userId": "u-1",
        "timestamp": .date(june1),
        "sentAt": "2024-06-01T10:00:00.500Z",
        "properties": [
            "total": 150,
            "price": 99.5,
            "round": 100.0,
            "tags": ["sale", "new", 7],
            "coupon": "SPRING-SALE",
            "gift": false,
            "note": nil,
        ],
        "context": ["traits": ["plan": "pro"]],
    ]

    static let cases: [MatchCase] = [
        // eq: numbers by value, strings, booleans, null, missing.
        MatchCase("properties.total", .eq, 150, true),
        MatchCase("properties.total", .eq, 150.0, true),
        MatchCase("properties.round", .eq, 100, true),
        MatchCase("properties.total", .eq, "150", false),
        MatchCase("context.traits.plan", .eq, "pro", true),
        MatchCase("userId", .eq, "u-2", false),
        MatchCase("properties.gift", .eq, false, true),
        MatchCase("properties.note", .eq, nil, true),
        MatchCase("properties.missing", .eq, nil, false),
        MatchCase("timestamp", .eq, "2024-06-01T10:00:00Z", true),
        // ne: a missing path is "not equal".
        MatchCase("context.traits.plan", .ne, "free", true),
        MatchCase("context.traits.plan", .ne, "pro", false),
        MatchCase("properties.round", .ne, 100, false),
        MatchCase("context.traits.missing", .ne, "free", true),
        // Order operators over numbers of both kinds.
        MatchCase("properties.total", .gt, 100, true),
        MatchCase("properties.total", .gt, 150, false),
        MatchCase("properties.total", .gte, 150, true),
        MatchCase("properties.price", .lt, 100, true),
        MatchCase("properties.price", .lte, 99.5, true),
        MatchCase("properties.price", .lt, 99.5, false),
        MatchCase("properties.round", .gte, 100, true),
        MatchCase("properties.total", .gte, 149.9, true),
        // Order operators over dates: BSON dates and ISO-8601 strings on the event side.
        MatchCase("timestamp", .gte, "2024-06-01", true),
        MatchCase("timestamp", .lt, "2024-06-01T09:59:59Z", false),
        MatchCase("sentAt", .gt, "2024-06-01T10:00:00Z", true),
        MatchCase("sentAt", .lt, .date(june1), false),
        // Order operators never match a missing path or a value of another type.
        MatchCase("properties.missing", .gt, 0, false),
        MatchCase("properties.coupon", .gt, 0, false),
        MatchCase("properties.total", .gt, "2024-01-01", false),
        MatchCase("properties.note", .lte, 0, false),
        // in
        MatchCase("context.traits.plan", .in, ["pro", "enterprise"], true),
        MatchCase("context.traits.plan", .in, ["free"], false),
        MatchCase("properties.total", .in, [100, 150.0], true),
        MatchCase("properties.missing", .in, [nil], false),
        // exists: null counts as present.
        MatchCase("userId", .exists, true, true),
        MatchCase("properties.note", .exists, true, true),
        MatchCase("anonymousId", .exists, true, false),
        MatchCase("anonymousId", .exists, false, true),
        MatchCase("userId", .exists, false, false),
        MatchCase("userId.deeper", .exists, true, false),
        // contains: substring of a string, element of an array.
        MatchCase("properties.coupon", .contains, "SALE", true),
        MatchCase("properties.coupon", .contains, "sale", false),
        MatchCase("properties.tags", .contains, "sale", true),
        MatchCase("properties.tags", .contains, 7.0, true),
        MatchCase("properties.tags", .contains, "old", false),
        MatchCase("properties.total", .contains, 1, false),
        MatchCase("properties.missing", .contains, "x", false),
    ]

    @Test(arguments: cases)
    func matchingTable(_ row: MatchCase) throws {
        let condition = try TriggerCondition(path: row.path, op: row.op, operand: row.operand)
        #expect(condition.matches(Self.event) == row.matches)
    }

    @Test(arguments: [
        (TriggerCondition.Operator.gt, JSONValue.string("cheap"), "'gt' needs a number or an ISO-8601 date, got the string 'cheap'"),
        (.lte, .bool(true), "'lte' needs a number or an ISO-8601 date, got a boolean"),
        (.gte, .array([1]), "'gte' needs a number or an ISO-8601 date, got a list"),
        (.in, .string("pro"), "'in' needs a list, got a string"),
        (.exists, .int(1), "'exists' needs true or false, got a number"),
        (.contains, .array(["a"]), "'contains' needs a string, number or boolean, got a list"),
        (.contains, .null, "'contains' needs a string, number or boolean, got null"),
    ])
    func operandsOfTheWrongTypeAreRefused(op: TriggerCondition.Operator, operand: JSONValue, message: String) {
        #expect(throws: TriggerCondition.InvalidOperand(message: message)) {
            try TriggerCondition(path: "properties.total", op: op, operand: operand)
        }
    }

    @Test func ruleNeedsEveryCondition() throws {
        let rule = TriggerRule(
            id: "big-order", tenantId: "acme", appliesTo: .events, campaign: "cmp_1",
            conditions: [
                try TriggerCondition(path: "type", op: .eq, operand: "track"),
                try TriggerCondition(path: "properties.total", op: .gte, operand: 100),
            ])
        #expect(rule.matches(Self.event))
        #expect(!rule.matches(["type": "track", "properties": ["total": 99]] as JSONObject))
        #expect(!rule.matches(["type": "identify", "properties": ["total": 500]] as JSONValue))
    }

    @Test func compiledRulesFromARouteFileMatch() throws {
        let yaml = """
            tenant: acme
            region: ind
            sources: []
            triggers:
              - id: order-completed
                when: { type: track, event: Order Completed, where: { properties.total: { gte: 100, lt: 1000 } } }
                campaign: cmp_123
              - id: bounced-email
                when: { collection: deliveryEvents, status: [bounced, dropped], where: { channel: { eq: email } } }
                campaign: cmp_200
              - id: quoted-number
                when: { type: track, where: { properties.code: { eq: "100" } } }
                campaign: cmp_300
            """
        let table = try withRoutes(["acme.yaml": yaml]) { try RouteLoader.load(directory: $0, environment: [:]).get() }
        let events = table.triggers(tenantId: "acme")
        let order = try #require(events.first { $0.id == "order-completed" })
        #expect(order.campaign == "cmp_123")
        #expect(order.appliesTo == .events)
        #expect(order.matches(Self.event))
        #expect(!order.matches(["type": "track", "event": "Order Completed", "properties": ["total": 1000]] as JSONValue))
        #expect(!order.matches(["type": "track", "event": "Order Refunded", "properties": ["total": 150]] as JSONValue))

        let quoted = try #require(events.first { $0.id == "quoted-number" })
        #expect(quoted.matches(["type": "track", "properties": ["code": "100"]] as JSONValue))
        #expect(!quoted.matches(["type": "track", "properties": ["code": 100]] as JSONValue))

        let bounced = try #require(table.triggers(tenantId: "acme", appliesTo: .deliveryEvents).first)
        #expect(bounced.id == "bounced-email")
        #expect(bounced.matches(["status": "dropped", "channel": "email"] as JSONValue))
        #expect(!bounced.matches(["status": "delivered", "channel": "email"] as JSONValue))
        #expect(!bounced.matches(["status": "bounced", "channel": "sms"] as JSONValue))
        #expect(table.triggers(tenantId: "other").isEmpty)
    }
}
