/// An error that reaches a client: a stable machine-readable `code`, a human `message`, and the
/// HTTP status it maps to. Mapped to a JSON body once, at the edge; never carries a stack trace
/// or a secret.
public struct InletError: Error, Sendable, Hashable, CustomStringConvertible {
    public var status: Int
    public var code: String
    public var message: String
    /// Seconds a client should wait before retrying (`Retry-After`), for 429 and 503.
    public var retryAfter: Int?

    public init(status: Int, code: String, message: String, retryAfter: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
    }

    public var description: String { "\(status) \(code): \(message)" }

    public static func badRequest(_ code: String = "invalid_request", _ message: String) -> InletError {
        InletError(status: 400, code: code, message: message)
    }
    public static func unauthorized(_ message: String = "missing or unknown credentials") -> InletError {
        InletError(status: 401, code: "unauthorized", message: message)
    }
    public static func notFound(_ message: String = "not found") -> InletError {
        InletError(status: 404, code: "not_found", message: message)
    }
    public static func tooLarge(_ message: String) -> InletError {
        InletError(status: 413, code: "too_large", message: message)
    }
    public static func unsupportedMediaType(_ message: String) -> InletError {
        InletError(status: 415, code: "unsupported_media_type", message: message)
    }
    public static func storageUnavailable(retryAfter: Int = 2) -> InletError {
        InletError(status: 503, code: "storage_unavailable", message: "storage is unavailable, retry later", retryAfter: retryAfter)
    }
}
