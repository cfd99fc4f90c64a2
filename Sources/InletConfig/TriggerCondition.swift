import Foundation
import InletModel

/// One test of a trigger's `where`: a dotted path into the document and an operator with its
/// operand, checked for type at load time so that matching never fails, it only says no.
///
/// Semantics follow MongoDB queries, which the team already reads fluently:
/// - a missing path matches only `ne` and `exists: false`; `null` counts as present;
/// - numbers compare by value whatever their kind (`100 == 100.0`);
/// - `gt`/`gte`/`lt`/`lte` take a number or an ISO-8601 date; a date operand compares with BSON
///   dates and with ISO-8601 strings; anything else on the event side does not match;
/// - `in` takes a list and matches when the value equals one element;
/// - `contains` matches a string containing the operand, or an array with an element equal to it.
public struct TriggerCondition: Sendable, Hashable {
    public enum Operator: String, Sendable, Hashable, CaseIterable {
        case eq, ne, gt, gte, lt, lte, `in`, exists, contains
    }

    /// Why an operand does not suit its operator, for a `file:line` message.
    public struct InvalidOperand: Error, Sendable, Hashable {
        public var message: String

        public init(message: String) {
            self.message = message
        }
    }

    enum Test: Sendable, Hashable {
        case equal(JSONValue)
        case notEqual(JSONValue)
        /// Matches when the value compares to the operand with one of `orders`.
        case order(Comparand, orders: [ComparisonResult])
        case oneOf([JSONValue])
        case exists(Bool)
        case contains(JSONValue)
    }

    enum Comparand: Sendable, Hashable {
        case int(Int64)
        case double(Double)
        case date(Date)
    }

    public let path: String
    public let op: Operator
    let test: Test
    /// `path` split once at load, so matching does not split it per event.
    let segments: [String]

    /// Compiles `path: { op: operand }`.
    /// - Throws: `InvalidOperand` when the operand's type does not fit the operator.
    public init(path: String, op: Operator, operand: JSONValue) throws(InvalidOperand) {
        self.path = path
        self.op = op
        self.segments = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        switch op {
        case .eq: test = .equal(operand)
        case .ne: test = .notEqual(operand)
        case .gt, .gte, .lt, .lte:
            let comparand: Comparand
            switch operand {
            case .int(let i): comparand = .int(i)
            case .double(let d): comparand = .double(d)
            case .date(let d): comparand = .date(d)
            case .string(let s):
                guard let date = ISO8601Timestamp.parse(s, allowingDateOnly: true) else {
                    throw InvalidOperand(message: "'\(op)' needs a number or an ISO-8601 date, got the string '\(s)'")
                }
                comparand = .date(date)
            default:
                throw InvalidOperand(message: "'\(op)' needs a number or an ISO-8601 date, got \(operand.kindName)")
            }
            let orders: [ComparisonResult] =
                switch op {
                case .gt: [.orderedDescending]
                case .gte: [.orderedDescending, .orderedSame]
                case .lt: [.orderedAscending]
                default: [.orderedAscending, .orderedSame]
                }
            test = .order(comparand, orders: orders)
        case .in:
            guard case .array(let elements) = operand else {
                throw InvalidOperand(message: "'in' needs a list, got \(operand.kindName)")
            }
            test = .oneOf(elements)
        case .exists:
            guard case .bool(let flag) = operand else {
                throw InvalidOperand(message: "'exists' needs true or false, got \(operand.kindName)")
            }
            test = .exists(flag)
        case .contains:
            switch operand {
            case .string, .int, .double, .bool: test = .contains(operand)
            default: throw InvalidOperand(message: "'contains' needs a string, number or boolean, got \(operand.kindName)")
            }
        }
    }

    /// Whether `document` satisfies this condition.
    public func matches(_ document: JSONValue) -> Bool {
        var value: JSONValue? = document
        for segment in segments {
            value = value?[segment]
        }
        switch test {
        case .equal(let operand):
            return value.map { Self.equal($0, operand) } ?? false
        case .notEqual(let operand):
            return !(value.map { Self.equal($0, operand) } ?? false)
        case .order(let comparand, let orders):
            guard let value, let order = Self.compare(value, comparand) else { return false }
            return orders.contains(order)
        case .oneOf(let elements):
            guard let value else { return false }
            return elements.contains { Self.equal(value, $0) }
        case .exists(let flag):
            return (value != nil) == flag
        case .contains(let operand):
            switch value {
            case .string(let text):
                guard case .string(let needle) = operand else { return false }
                return text.contains(needle)
            case .array(let elements):
                return elements.contains { Self.equal($0, operand) }
            default:
                return false
            }
        }
    }

    /// JSON equality where numbers compare by value, dates match their ISO-8601 spelling and
    /// object key order does not matter.
    static func equal(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.int(let a), .int(let b)): return a == b
        case (.int, .double), (.double, .int), (.double, .double):
            return lhs.numberValue == rhs.numberValue
        case (.date(let a), .date(let b)): return a == b
        case (.date(let a), .string(let s)), (.string(let s), .date(let a)): return ISO8601Timestamp.parse(s, allowingDateOnly: true) == a
        case (.array(let a), .array(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { equal($0, $1) }
        case (.object(let a), .object(let b)):
            return a.count == b.count && a.allSatisfy { key, value in b[key].map { equal(value, $0) } ?? false }
        default: return lhs == rhs
        }
    }

    /// How `value` orders against `comparand`; `nil` when they are not comparable.
    static func compare(_ value: JSONValue, _ comparand: Comparand) -> ComparisonResult? {
        switch (value, comparand) {
        case (.int(let a), .int(let b)): return ordered(a, b)
        case (.int(let a), .double(let b)): return orderedNumbers(Double(a), b)
        case (.double(let a), .double(let b)): return orderedNumbers(a, b)
        case (.double(let a), .int(let b)): return orderedNumbers(a, Double(b))
        case (.date(let a), .date(let b)): return ordered(a, b)
        case (.string(let s), .date(let b)): return ISO8601Timestamp.parse(s, allowingDateOnly: true).map { ordered($0, b) }
        default: return nil
        }
    }

    private static func ordered<T: Comparable>(_ a: T, _ b: T) -> ComparisonResult {
        a < b ? .orderedAscending : a > b ? .orderedDescending : .orderedSame
    }

    /// NaN is unordered: comparing with it matches no order operator.
    private static func orderedNumbers(_ a: Double, _ b: Double) -> ComparisonResult? {
        if a.isNaN || b.isNaN { return nil }
        return ordered(a, b)
    }
}

extension JSONValue {
    /// The value's type in words, for messages about operands.
    var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .double: return "a number"
        case .string: return "a string"
        case .date: return "a date"
        case .array: return "a list"
        case .object: return "a mapping"
        }
    }
}
