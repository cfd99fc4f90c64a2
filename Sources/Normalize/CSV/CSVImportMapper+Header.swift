import InletModel

extension CSVImportMapper {
    static let propertyPrefix = "properties."

    /// Where each column goes, or a `400` listing every problem of the header.
    static func layout(kind: Kind, columns: [String]) throws(InletError) -> Layout {
        var problems: [String] = []
        var positions: [String: Int] = [:]
        var duplicates: [String] = []
        var emptyPositions: [String] = []
        for (index, name) in columns.enumerated() {
            if name.isEmpty {
                emptyPositions.append(String(index + 1))
            } else if positions[name] == nil {
                positions[name] = index
            } else if !duplicates.contains(name) {
                duplicates.append(name)
            }
        }
        if !emptyPositions.isEmpty { problems.append("empty column name at position \(list(emptyPositions, quoted: false))") }
        if !duplicates.isEmpty { problems.append("duplicate column \(list(duplicates))") }

        let required = kind == .users ? ["userId"] : ["userId", "event", "timestamp"]
        let missing = required.filter { positions[$0] == nil }
        if !missing.isEmpty { problems.append("missing required column \(list(missing))") }

        let layout: Layout
        switch kind {
        case .users:
            let traits = columns.enumerated().compactMap { index, name in
                name.isEmpty || name == "userId" ? nil : TraitColumn(index: index, name: name)
            }
            layout = .users(userId: positions["userId"] ?? 0, traits: traits)
        case .events:
            let (properties, propertyProblems) = propertyColumns(columns)
            problems += propertyProblems
            layout = .events(EventColumns(
                userId: positions["userId"] ?? 0, event: positions["event"] ?? 0,
                timestamp: positions["timestamp"] ?? 0, messageId: positions["messageId"],
                properties: properties))
        }
        guard problems.isEmpty else {
            throw InletError.badRequest("invalid_csv_header", "invalid CSV header: " + problems.joined(separator: "; "))
        }
        return layout
    }

    /// The `properties.X` columns of an events header, refusing other unknown columns, empty path
    /// parts, and a property that would be both a value and an object (`properties.a`, `properties.a.b`).
    private static func propertyColumns(_ columns: [String]) -> ([PropertyColumn], [String]) {
        let known: Set<String> = ["userId", "event", "timestamp", "messageId", ""]
        var properties: [PropertyColumn] = []
        var unknown: [String] = []
        var badPaths: [String] = []
        for (index, name) in columns.enumerated() where !known.contains(name) {
            guard name.hasPrefix(propertyPrefix) else {
                unknown.append(name)
                continue
            }
            let path = name.dropFirst(propertyPrefix.count).split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            if path.contains(where: \.isEmpty) {
                badPaths.append(name)
            } else {
                properties.append(PropertyColumn(index: index, path: path))
            }
        }
        let fullPaths = Set(properties.map { $0.path.joined(separator: ".") })
        var conflicts: [String] = []
        for property in properties {
            for length in 1..<property.path.count {
                let prefix = property.path[..<length].joined(separator: ".")
                if fullPaths.contains(prefix) { conflicts.append(propertyPrefix + prefix) }
            }
        }
        var problems: [String] = []
        if !unknown.isEmpty {
            problems.append("unknown column \(list(unknown)) (event properties go in properties.<name> columns)")
        }
        if !badPaths.isEmpty { problems.append("empty property name in column \(list(badPaths))") }
        if !conflicts.isEmpty {
            problems.append("column \(list(uniqued(conflicts))) is both a property and an object of properties")
        }
        return (properties, problems)
    }

    /// At most 20 names, so a pathological header gives a readable message.
    private static func list(_ names: [String], quoted: Bool = true) -> String {
        let shown = names.prefix(20).map { quoted ? "\"\($0)\"" : $0 }.joined(separator: ", ")
        return names.count > 20 ? shown + " and \(names.count - 20) more" : shown
    }

    private static func uniqued(_ names: [String]) -> [String] {
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }
    }
}
