import InletModel

/// The one JSON shape every error takes: `{"success":false,"error":{"code","message"}}`.
public enum InletErrorBody {
    public static func render(status: Int, code: String, message: String) -> [UInt8] {
        let body: JSONValue = ["success": false, "error": ["code": .string(code), "message": .string(message)]]
        return body.jsonBytes()
    }

    public static func render(_ error: InletError) -> [UInt8] {
        render(status: error.status, code: error.code, message: error.message)
    }
}

extension InletResponse {
    /// The response for an `InletError`, with `Retry-After` when it says when to come back.
    public static func error(_ error: InletError, headers: [(String, String)] = []) -> InletResponse {
        var extra = headers
        if let retryAfter = error.retryAfter { extra.append(("retry-after", String(retryAfter))) }
        return .json(.init(statusCode: error.status), InletErrorBody.render(error), headers: extra)
    }
}
