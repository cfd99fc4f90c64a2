import Foundation
import InletModel

/// Turns the rows of one CSV import into store writes. Built once from the header, which it
/// validates up front so that a file with a wrong header is refused before any row is stored,
/// then called for every row; a bad row is rejected alone, with its line and column.
///
/// - `users`: `userId` is required; every other column is a trait, typed by `CSVValueTyping`,
///   written through `UserProfileWrites` like an `identify`, but inserted first (most imported
///   users are new; an existing one is merged as `identify` would).
/// - `events`: `userId`, `event` and `timestamp` are required, `messageId` is optional, and each
///   `properties.X` column is a property (`properties.a.b` nests). Any other column is refused
///   rather than silently dropped. Each row becomes a `track` event in `events`.
public struct CSVImportMapper: Sendable {
    public enum Kind: String, Sendable, Hashable {
        case users, events
    }

    struct TraitColumn: Sendable {
        var index: Int
        var name: String
    }

    struct PropertyColumn: Sendable {
        var index: Int
        var path: [String]
    }

    struct EventColumns: Sendable {
        var userId: Int
        var event: Int
        var timestamp: Int
        var messageId: Int?
        var properties: [PropertyColumn]
    }

    enum Layout: Sendable {
        case users(userId: Int, traits: [TraitColumn])
        case events(EventColumns)
    }

    public let kind: Kind
    /// The column names as used: the header's, without surrounding spaces.
    public let columns: [String]
    let context: ImportContext
    let layout: Layout

    /// Validates `header` (the first record of the file) and fails with a `400` naming every
    /// problem at once: missing, duplicate, empty or unknown columns.
    public init(kind: Kind, header: [String], context: ImportContext) throws(InletError) {
        let columns = header.map(Self.trimmed)
        self.kind = kind
        self.columns = columns
        self.context = context
        self.layout = try Self.layout(kind: kind, columns: columns)
    }

    /// The writes for one row, or why it is rejected.
    public func map(_ row: CSVRow) -> Result<[StoreWrite], CSVRowError> {
        guard row.fields.count == columns.count else {
            return .failure(CSVRowError(
                line: row.line, column: nil,
                message: "row has \(row.fields.count) fields but the header has \(columns.count)"))
        }
        switch layout {
        case .users(let userId, let traits):
            return mapUser(row, userId: userId, traits: traits)
        case .events(let eventColumns):
            return mapEvent(row, eventColumns)
        }
    }

    /// A parser error in the import summary's terms: the column named, not numbered.
    public func rowError(for error: CSVParseError) -> CSVRowError {
        let column = error.column.flatMap { $0 >= 1 && $0 <= columns.count ? columns[$0 - 1] : nil }
        return CSVRowError(line: error.line, column: column, message: error.message)
    }

    private func mapUser(_ row: CSVRow, userId index: Int, traits columns: [TraitColumn]) -> Result<[StoreWrite], CSVRowError> {
        let userId = row.fields[index]
        guard !userId.isEmpty else { return .failure(missing("userId", row)) }
        var traits = JSONObject()
        for column in columns {
            if let value = CSVValueTyping.type(row.fields[column.index]) {
                traits.appendUnchecked(column.name, value)
            }
        }
        return .success(UserProfileWrites.makeInsertingFirst(
            tenantId: context.tenantId, sourceId: context.sourceId, userId: userId, traits: traits,
            seenAt: context.receivedAt))
    }

    private func mapEvent(_ row: CSVRow, _ columns: EventColumns) -> Result<[StoreWrite], CSVRowError> {
        let userId = row.fields[columns.userId]
        guard !userId.isEmpty else { return .failure(missing("userId", row)) }
        let event = row.fields[columns.event]
        guard !event.isEmpty else { return .failure(missing("event", row)) }
        let rawTimestamp = row.fields[columns.timestamp]
        guard !rawTimestamp.isEmpty else { return .failure(missing("timestamp", row)) }
        guard let timestamp = CSVValueTyping.date(rawTimestamp) else {
            return .failure(CSVRowError(
                line: row.line, column: "timestamp",
                message: "not an ISO-8601 date or date-time: \(Self.excerpt(rawTimestamp))"))
        }
        let givenMessageId = columns.messageId.map { row.fields[$0] } ?? ""
        let messageId = givenMessageId.isEmpty ? Self.derivedMessageId(key: context.idempotencyKey, line: row.line) : givenMessageId

        var properties = JSONObject()
        for column in columns.properties {
            if let value = CSVValueTyping.type(row.fields[column.index]) {
                Self.set(value, at: column.path[...], in: &properties)
            }
        }

        var document = JSONObject()
        document.appendUnchecked("type", "track")
        document.appendUnchecked("event", .string(event))
        document.appendUnchecked("userId", .string(userId))
        document.appendUnchecked("messageId", .string(messageId))
        document.appendUnchecked("timestamp", .date(timestamp))
        document.appendUnchecked("properties", .object(properties))
        document.appendUnchecked("context", ["library": ["name": "inlet-csv"]])
        document.appendUnchecked("receivedAt", .date(context.receivedAt))
        document.appendUnchecked("tenantId", .string(context.tenantId))
        document.appendUnchecked("sourceId", .string(context.sourceId))
        document.appendUnchecked("importId", .string(context.importId))
        return .success([.insert(Collections.events, document)])
    }

    /// Stable across retries of the same upload (same key, same line), distinct across rows and
    /// uploads, so the `tenantId, messageId` index stores each row once.
    static func derivedMessageId(key: String, line: Int) -> String {
        "csv:\(key):\(line)"
    }

    private func missing(_ column: String, _ row: CSVRow) -> CSVRowError {
        CSVRowError(line: row.line, column: column, message: "\(column) is empty")
    }

    private static func set(_ value: JSONValue, at path: ArraySlice<String>, in object: inout JSONObject) {
        guard let key = path.first else { return }
        if path.count == 1 {
            object[key] = value
            return
        }
        var child = object[key]?.objectValue ?? JSONObject()
        set(value, at: path.dropFirst(), in: &child)
        object[key] = .object(child)
    }

    /// Keeps error messages short whatever the cell holds.
    static func excerpt(_ text: String) -> String {
        text.count <= 64 ? "\"\(text)\"" : "\"\(text.prefix(64))…\""
    }

    static func trimmed(_ name: String) -> String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = name.firstIndex(where: { !isBlank($0) }), let last = name.lastIndex(where: { !isBlank($0) }) else {
            return ""
        }
        return String(name[first...last])
    }
}
