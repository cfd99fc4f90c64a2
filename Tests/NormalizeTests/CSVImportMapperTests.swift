import Foundation
import InletModel
import Testing

@testable import Normalize

@Suite struct CSVImportMapperTests {
    static let receivedAt = Date(timeIntervalSince1970: 1_714_560_000)
    static let context = ImportContext(
        tenantId: "acme", sourceId: "acme-partner", importId: "imp_1", idempotencyKey: "key-1", receivedAt: receivedAt)

    private func mapper(_ kind: CSVImportMapper.Kind, _ header: [String], context: ImportContext = Self.context) throws -> CSVImportMapper {
        try CSVImportMapper(kind: kind, header: header, context: context)
    }

    private func headerError(_ kind: CSVImportMapper.Kind, _ header: [String]) -> InletError? {
        do {
            _ = try CSVImportMapper(kind: kind, header: header, context: Self.context)
            return nil
        } catch {
            return error
        }
    }

    private func eventDocument(_ writes: [StoreWrite]) throws -> JSONObject {
        try #require(writes.count == 1)
        let write = try #require(writes.first)
        #expect(write.collection == Collections.events)
        guard case .insert(let document) = write.kind else {
            Issue.record("expected an insert, got \(write.kind)")
            return JSONObject()
        }
        return document
    }

    // MARK: users

    @Test func userRowBecomesProfileWritesWithTypedTraits() throws {
        let users = try mapper(.users, ["userId", "email", "age", "vip", "signedUp", "zip", "nickname"])
        let writes = try users.map(CSVRow(line: 2, fields: ["u1", "a@example.com", "42", "TRUE", "2024-05-01", "007", ""])).get()
        let traits: JSONObject = [
            "email": "a@example.com", "age": 42, "vip": true,
            "signedUp": .date(Date(timeIntervalSince1970: 1_714_521_600)), "zip": "007",
        ]
        let expected = UserProfileWrites.makeInsertingFirst(
            tenantId: "acme", sourceId: "acme-partner", userId: "u1", traits: traits, seenAt: Self.receivedAt)
        #expect(writes == expected)
        #expect(writes.first?.collection == Collections.userDetails)
    }

    @Test func userHeaderIsTrimmedAndUserIdIsNotATrait() throws {
        let users = try mapper(.users, [" userId ", "\tplan"])
        #expect(users.columns == ["userId", "plan"])
        let writes = try users.map(CSVRow(line: 2, fields: ["u9", "pro"])).get()
        #expect(writes == UserProfileWrites.makeInsertingFirst(
            tenantId: "acme", sourceId: "acme-partner", userId: "u9", traits: ["plan": "pro"], seenAt: Self.receivedAt))
    }

    @Test func userRowWithoutUserIdIsRejected() throws {
        let users = try mapper(.users, ["email", "userId"])
        #expect(users.map(CSVRow(line: 7, fields: ["a@example.com", ""])) == .failure(
            CSVRowError(line: 7, column: "userId", message: "userId is empty")))
    }

    @Test func raggedRowIsRejectedWithItsLine() throws {
        let users = try mapper(.users, ["userId", "email"])
        #expect(users.map(CSVRow(line: 4, fields: ["u1"])) == .failure(
            CSVRowError(line: 4, column: nil, message: "row has 1 fields but the header has 2")))
        #expect(users.map(CSVRow(line: 5, fields: ["u1", "a", "b"])) == .failure(
            CSVRowError(line: 5, column: nil, message: "row has 3 fields but the header has 2")))
    }

    // MARK: events

    @Test func eventRowBecomesATrackEvent() throws {
        let events = try mapper(.events, ["userId", "event", "timestamp", "properties.total", "properties.currency", "properties.items.count", "properties.coupon"])
        let writes = try events.map(CSVRow(line: 3, fields: ["u1", "Order Completed", "2024-05-01T10:00:00Z", "129.5", "EUR", "3", ""])).get()
        let document = try eventDocument(writes)
        let expected: JSONObject = [
            "type": "track",
            "event": "Order Completed",
            "userId": "u1",
            "messageId": "csv:key-1:3",
            "timestamp": .date(Date(timeIntervalSince1970: 1_714_557_600)),
            "properties": ["total": 129.5, "currency": "EUR", "items": ["count": 3]],
            "context": ["library": ["name": "inlet-csv"]],
            "receivedAt": .date(Self.receivedAt),
            "tenantId": "acme",
            "sourceId": "acme-partner",
            "importId": "imp_1",
        ]
        #expect(document == expected)
    }

    @Test func nestedPropertiesKeepTheirColumnOrder() throws {
        let events = try mapper(.events, ["userId", "event", "timestamp", "properties.a.x", "properties.b", "properties.a.y"])
        let document = try eventDocument(events.map(CSVRow(line: 2, fields: ["u", "E", "2024-05-01", "1", "2", "3"])).get())
        #expect(document["properties"] == ["a": ["x": 1, "y": 3], "b": 2])
        #expect(document["properties"]?.objectValue?.keys == ["a", "b"])
    }

    @Test func derivedMessageIdIsStableAcrossRetriesAndDistinctAcrossRowsAndUploads() throws {
        let header = ["event", "timestamp", "userId"]
        let row = CSVRow(line: 12, fields: ["Signed Up", "2024-05-01", "u1"])
        let first = try eventDocument(mapper(.events, header).map(row).get())
        var retryContext = Self.context
        retryContext.importId = "imp_2"
        retryContext.receivedAt = Self.receivedAt.addingTimeInterval(60)
        let retry = try eventDocument(mapper(.events, header, context: retryContext).map(row).get())
        #expect(first["messageId"] == "csv:key-1:12")
        #expect(retry["messageId"] == first["messageId"])

        let nextRow = try eventDocument(mapper(.events, header).map(CSVRow(line: 13, fields: row.fields)).get())
        #expect(nextRow["messageId"] != first["messageId"])
        var otherUpload = Self.context
        otherUpload.idempotencyKey = "key-2"
        let other = try eventDocument(mapper(.events, header, context: otherUpload).map(row).get())
        #expect(other["messageId"] != first["messageId"])
    }

    @Test func messageIdColumnWinsWhenFilled() throws {
        let events = try mapper(.events, ["userId", "event", "timestamp", "messageId"])
        let given = try eventDocument(events.map(CSVRow(line: 2, fields: ["u", "E", "2024-05-01", "m-77"])).get())
        let derived = try eventDocument(events.map(CSVRow(line: 3, fields: ["u", "E", "2024-05-01", ""])).get())
        #expect(given["messageId"] == "m-77")
        #expect(derived["messageId"] == "csv:key-1:3")
    }

    @Test func invalidOrMissingEventValuesNameTheColumn() throws {
        let events = try mapper(.events, ["userId", "event", "timestamp"])
        #expect(events.map(CSVRow(line: 2, fields: ["u", "E", "yesterday"])) == .failure(
            CSVRowError(line: 2, column: "timestamp", message: "not an ISO-8601 date or date-time: \"yesterday\"")))
        #expect(events.map(CSVRow(line: 3, fields: ["u", "", "2024-05-01"])) == .failure(
            CSVRowError(line: 3, column: "event", message: "event is empty")))
        #expect(events.map(CSVRow(line: 4, fields: ["", "E", "2024-05-01"])) == .failure(
            CSVRowError(line: 4, column: "userId", message: "userId is empty")))
        #expect(events.map(CSVRow(line: 5, fields: ["u", "E", ""])) == .failure(
            CSVRowError(line: 5, column: "timestamp", message: "timestamp is empty")))
    }

    @Test func longBadValuesAreCutInMessages() throws {
        let events = try mapper(.events, ["userId", "event", "timestamp"])
        let result = events.map(CSVRow(line: 2, fields: ["u", "E", String(repeating: "x", count: 10_000)]))
        guard case .failure(let error) = result else {
            Issue.record("expected a row error")
            return
        }
        #expect(error.message.count < 120)
    }

    // MARK: headers

    @Test func missingRequiredColumnsAreListed() throws {
        let error = try #require(headerError(.events, ["userId", "properties.x"]))
        #expect(error.status == 400)
        #expect(error.code == "invalid_csv_header")
        #expect(error.message == "invalid CSV header: missing required column \"event\", \"timestamp\"")
        #expect(headerError(.users, ["email"])?.message == "invalid CSV header: missing required column \"userId\"")
    }

    @Test func duplicateAndEmptyColumnNamesAreListed() throws {
        let error = try #require(headerError(.users, ["userId", "email", "", "email", " userId", "  "]))
        #expect(error.status == 400)
        #expect(error.message == "invalid CSV header: empty column name at position 3, 6; duplicate column \"email\", \"userId\"")
    }

    @Test func eventHeaderRefusesUnknownColumnsAndBadPropertyPaths() throws {
        let error = try #require(headerError(.events, [
            "userId", "event", "timestamp", "plan", "properties.", "properties.a..b", "properties.c", "properties.c.d",
        ]))
        #expect(error.message == "invalid CSV header: unknown column \"plan\" (event properties go in properties.<name> columns); "
            + "empty property name in column \"properties.\", \"properties.a..b\"; "
            + "column \"properties.c\" is both a property and an object of properties")
    }

    @Test func parseErrorsNameTheirColumn() throws {
        let users = try mapper(.users, ["userId", "email"])
        #expect(users.rowError(for: CSVParseError(line: 9, column: 2, message: "field is not valid UTF-8"))
            == CSVRowError(line: 9, column: "email", message: "field is not valid UTF-8"))
        #expect(users.rowError(for: CSVParseError(line: 9, column: 3, message: "m")).column == nil)
        #expect(users.rowError(for: CSVParseError(line: 9, column: nil, message: "m")).column == nil)
    }

    @Test func parsedFileMapsEndToEnd() throws {
        let file = "\u{FEFF}userId,event,timestamp,properties.note\r\n"
            + "u1,Clicked,2024-05-01T10:00:00Z,\"multi\r\nline, with comma\"\r\n"
            + "u2,Clicked,not-a-date,x\r\n"
            + "u3,Clicked,2024-05-01\r\n"
        var parser = CSVParser()
        let records = Array(file.utf8).withUnsafeBytes { parser.feed($0) } + parser.finish()
        guard case .row(let header) = records.first else {
            Issue.record("no header row")
            return
        }
        let events = try mapper(.events, header.fields)
        var documents: [JSONObject] = []
        var errors: [CSVRowError] = []
        for record in records.dropFirst() {
            switch record {
            case .row(let row):
                switch events.map(row) {
                case .success(let writes): documents.append(try eventDocument(writes))
                case .failure(let error): errors.append(error)
                }
            case .error(let error):
                errors.append(events.rowError(for: error))
            }
        }
        #expect(documents.count == 1)
        #expect(documents.first?["properties"] == ["note": "multi\r\nline, with comma"])
        #expect(documents.first?["messageId"] == "csv:key-1:2")
        #expect(errors.map(\.line) == [4, 5])
        #expect(errors.map(\.column) == ["timestamp", nil])
    }
}
