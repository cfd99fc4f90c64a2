/// Reads a request target (`/v1/hooks/acme-twilio?x=1`) in place: every request goes through
/// these, and splitting the string into arrays for them showed in profiles.
public enum RequestPath {
    /// The path: everything before the first `?`.
    public static func path(of uri: String) -> Substring {
        guard let mark = uri.utf8.firstIndex(of: UInt8(ascii: "?")) else { return Substring(uri) }
        return uri[..<mark]
    }

    /// The query: everything after the first `?`, or `nil` when there is no `?`.
    public static func query(of uri: String) -> Substring? {
        guard let mark = uri.utf8.firstIndex(of: UInt8(ascii: "?")) else { return nil }
        return uri[uri.utf8.index(after: mark)...]
    }

    /// The last non-empty `/` segment (`/v1/hooks/acme/` → `acme`), or `""` when there is none:
    /// the id at the end of `/v1/hooks/{sourceId}` and the like.
    public static func lastSegment(of path: Substring) -> Substring {
        var end = path.utf8.endIndex
        while end > path.utf8.startIndex, path.utf8[path.utf8.index(before: end)] == UInt8(ascii: "/") {
            end = path.utf8.index(before: end)
        }
        var start = end
        while start > path.utf8.startIndex, path.utf8[path.utf8.index(before: start)] != UInt8(ascii: "/") {
            start = path.utf8.index(before: start)
        }
        return path[start..<end]
    }
}

/// The non-empty `/` segments of a path, in order, as views into it (`//v1//track` → `v1`, `track`).
public struct PathSegments: Sequence, IteratorProtocol {
    private var rest: Substring

    public init(_ path: Substring) {
        rest = path
    }

    public mutating func next() -> Substring? {
        let utf8 = rest.utf8
        guard let start = utf8.firstIndex(where: { $0 != UInt8(ascii: "/") }) else {
            rest = rest[rest.endIndex...]
            return nil
        }
        let end = utf8[start...].firstIndex(of: UInt8(ascii: "/")) ?? utf8.endIndex
        rest = rest[end...]
        return Substring(utf8[start..<end])
    }
}
