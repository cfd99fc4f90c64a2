import Foundation
import InletModel
import Yams

/// Turns one route file's YAML tree into a `RouteFile`, collecting every problem with its line
/// instead of stopping at the first, so `inlet check` shows them all in one run.
struct RouteFileParser {
    /// What the loader needs to check across files, gathered even when the file has errors.
    struct Parsed {
        var routeFile: RouteFile?
        var tenant: (id: String, line: Int)?
        var sourceIDs: [(id: String, line: Int)] = []
    }

    let file: String
    let environment: [String: String]
    private(set) var errors: [RouteError] = []

    init(file: String, environment: [String: String]) {
        self.file = file
        self.environment = environment
    }

    mutating func parse(_ root: Node) -> Parsed {
        var parsed = Parsed()
        guard let top = mapping(root, what: "the route file") else { return parsed }
        checkKeys(top, allowed: ["tenant", "region", "sources", "triggers"], in: "the route file")

        let tenant = requiredIdentifier(top, key: "tenant", in: "the route file")
        if let tenant { parsed.tenant = tenant }
        let region = requiredRegion(top)

        var sources: [SourceRoute] = []
        if let sourcesNode = required(top, key: "sources", in: "the route file"),
            let items = sequence(sourcesNode, what: "'sources'")
        {
            for item in items {
                let (source, id) = parseSource(item, tenant: tenant?.id, region: region)
                if let id { parsed.sourceIDs.append(id) }
                if let source { sources.append(source) }
            }
        }

        var triggers: [TriggerRule] = []
        if let triggersNode = top["triggers"], let items = sequence(triggersNode, what: "'triggers'") {
            var seen: [String: Int] = [:]
            for item in items {
                let (rule, id) = parseTrigger(item, tenant: tenant?.id)
                guard let id else { continue }
                if let first = seen[id.id] {
                    report(id.line, "duplicate trigger id '\(id.id)', first defined on line \(first)")
                } else {
                    seen[id.id] = id.line
                    if let rule { triggers.append(rule) }
                }
            }
        }

        if errors.isEmpty, let tenant, let region {
            parsed.routeFile = RouteFile(path: file, tenant: tenant.id, region: region, sources: sources, triggers: triggers)
        }
        return parsed
    }

    private mutating func requiredRegion(_ top: Node.Mapping) -> Region? {
        guard let node = required(top, key: "region", in: "the route file"),
            let text = scalarString(node, what: "'region'")
        else { return nil }
        guard let region = Region(rawValue: text) else {
            report(node, "unknown region '\(text)', expected one of \(Region.choices)")
            return nil
        }
        return region
    }
}

// MARK: - Reading YAML nodes

extension RouteFileParser {
    /// 1-based line of a node; 0 if Yams gave no mark.
    static func line(_ node: Node) -> Int { node.mark?.line ?? 0 }

    mutating func report(_ line: Int, _ message: String) {
        errors.append(RouteError(file: file, line: line, message: message))
    }

    mutating func report(_ node: Node, _ message: String) {
        report(Self.line(node), message)
    }

    mutating func mapping(_ node: Node, what: String) -> Node.Mapping? {
        guard case .mapping(let mapping) = node else {
            report(node, "\(what) must be a mapping")
            return nil
        }
        return mapping
    }

    mutating func sequence(_ node: Node, what: String) -> [Node]? {
        guard case .sequence(let sequence) = node else {
            report(node, "\(what) must be a list")
            return nil
        }
        return Array(sequence)
    }

    /// Reports every key of `mapping` that is not in `allowed`, on the key's own line.
    mutating func checkKeys(_ mapping: Node.Mapping, allowed: Set<String>, in context: String) {
        for (key, _) in mapping {
            guard let name = key.scalar?.string else {
                report(key, "keys of \(context) must be plain strings")
                continue
            }
            if !allowed.contains(name) {
                report(key, "unknown key '\(name)' in \(context), expected one of \(allowed.sorted().joined(separator: ", "))")
            }
        }
    }

    /// The value of `key`, or a "missing" error on the mapping's first line.
    mutating func required(_ mapping: Node.Mapping, key: String, in context: String) -> Node? {
        guard let node = mapping[key], !Self.isNull(node) else {
            report(Self.line(.mapping(mapping)), "missing '\(key)' in \(context)")
            return nil
        }
        return node
    }

    static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node else { return false }
        return scalar.style == .plain && node.tag.rawValue == Tag.Name.null.rawValue
    }

    /// A scalar's text as written, for names and identifiers (`404` stays `"404"`).
    mutating func scalarString(_ node: Node, what: String) -> String? {
        guard case .scalar(let scalar) = node, !Self.isNull(node) else {
            report(node, "\(what) must be a single value")
            return nil
        }
        let text = scalar.string.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else {
            report(node, "\(what) must not be empty")
            return nil
        }
        return text
    }

    /// Tenant, source and trigger ids appear in URLs, keys and document ids: keep them plain.
    mutating func identifier(_ node: Node, what: String) -> String? {
        guard let text = scalarString(node, what: what) else { return nil }
        let allowed = text.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2D || byte == 0x5F || byte == 0x2E
        }
        guard allowed, text.utf8.count <= 128, text.first != ".", text.first != "-" else {
            report(node, "\(what) '\(text)' may only hold letters, digits, '-', '_' and '.' (at most 128, not starting with '-' or '.')")
            return nil
        }
        return text
    }

    mutating func requiredIdentifier(_ mapping: Node.Mapping, key: String, in context: String) -> (id: String, line: Int)? {
        guard let node = required(mapping, key: key, in: context), let id = identifier(node, what: "'\(key)'") else {
            return nil
        }
        return (id, Self.line(node))
    }

    /// A YAML value as JSON, typed as YAML resolves it: plain `100` is a number, `"100"` a string,
    /// plain `2024-01-01` a date.
    static func jsonValue(_ node: Node) -> JSONValue {
        switch node {
        case .scalar(let scalar):
            guard scalar.style == .plain else { return .string(scalar.string) }
            switch node.tag.rawValue {
            case Tag.Name.null.rawValue: return .null
            case Tag.Name.bool.rawValue: return node.bool.map(JSONValue.bool) ?? .string(scalar.string)
            case Tag.Name.int.rawValue: return node.int.map { .int(Int64($0)) } ?? .string(scalar.string)
            case Tag.Name.float.rawValue: return node.float.map(JSONValue.double) ?? .string(scalar.string)
            case Tag.Name.timestamp.rawValue: return node.timestamp.map(JSONValue.date) ?? .string(scalar.string)
            default: return .string(scalar.string)
            }
        case .sequence(let sequence):
            return .array(sequence.map(jsonValue))
        case .mapping(let mapping):
            return .object(JSONObject(mapping.map { key, value in (key.scalar?.string ?? "", jsonValue(value)) }))
        case .alias:
            return .null
        }
    }
}
