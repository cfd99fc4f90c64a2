import InletModel

/// The answer of an import, live or finished: CONTRACT.md's summary object, rendered from the
/// `imports` document so `POST` and `GET /v1/imports/{id}` always say the same thing.
enum ImportSummary {
    static let errorLimit = 100

    static func render(_ document: JSONObject) -> [UInt8] {
        let summary: JSONValue = [
            "importId": document["_id"] ?? .null,
            "status": document["status"] ?? "running",
            "rowsTotal": document["rowsTotal"] ?? 0,
            "rowsImported": document["rowsImported"] ?? 0,
            "rowsRejected": document["rowsRejected"] ?? 0,
            "errors": document["errors"] ?? .array([]),
        ]
        return summary.jsonBytes()
    }
}
