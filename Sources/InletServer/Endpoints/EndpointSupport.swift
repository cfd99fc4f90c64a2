import InletConfig
import InletModel
import NIOCore
import NIOHTTP1
import RateLimit

/// Answers shared by the endpoints, so every endpoint says the same thing the same way.
enum EndpointSupport {
    /// `421` for a tenant pinned to another region, naming the right one.
    static func wrongRegion(tenant: String, region: Region) -> InletResponse {
        let body: JSONValue = [
            "success": false,
            "error": ["code": "wrong_region", "message": .string("tenant \(tenant) is served in region \(region.rawValue)"),
                      "region": .string(region.rawValue)],
        ]
        return .json(.misdirectedRequest, body.jsonBytes())
    }

    /// `RateLimit-*` headers for any decision, plus `Retry-After` when refused.
    static func rateLimitHeaders(_ decision: RateLimitDecision) -> [(String, String)] {
        var headers = [
            ("ratelimit-limit", String(decision.limit)),
            ("ratelimit-remaining", String(max(0, decision.remaining))),
            ("ratelimit-reset", String(max(0, decision.resetSeconds))),
        ]
        if !decision.allowed, let retry = decision.retryAfterSeconds { headers.append(("retry-after", String(max(1, retry)))) }
        return headers
    }

    /// The answer for a refused decision, or `nil` when the request may go on.
    static func refusal(_ decision: RateLimitDecision) -> InletResponse? {
        if decision.unavailable {
            return .error(InletError(status: 503, code: "rate_limiter_unavailable", message: "rate limiting is unavailable, retry later", retryAfter: 1))
        }
        guard decision.allowed else {
            return .error(InletError(status: 429, code: "rate_limited", message: "rate limit exceeded"),
                          headers: rateLimitHeaders(decision))
        }
        return nil
    }

    /// Whether a JSON body was declared as JSON (any charset), or not declared at all, as some SDKs do.
    static func isJSON(_ headers: HTTPHeaders) -> Bool {
        guard let type = headers.first(name: "content-type") else { return true }
        // What SDKs send, compared whole first: the byte-wise parse was ~1.5 % of track's loop.
        if type == "application/json" { return true }
        return MediaType.matches(type, "application/json") || MediaType.matches(type, "text/plain")
    }
}
