/// One problem in a route file, where an editor can jump to it. Messages never contain a
/// secret's value, only the key and, for `env:NAME`, the variable's name.
public struct RouteError: Error, Sendable, Hashable, Comparable, CustomStringConvertible {
    public var file: String
    /// 1-based; 0 when the problem concerns the whole file or directory (unreadable, missing).
    public var line: Int
    public var message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    /// `file:line: message`, the format compilers use, so terminals and editors link it.
    public var description: String { line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)" }

    public static func < (lhs: RouteError, rhs: RouteError) -> Bool {
        (lhs.file, lhs.line, lhs.message) < (rhs.file, rhs.line, rhs.message)
    }
}

/// Every problem found in a set of route files; loading reports them all at once.
public struct RouteErrors: Error, Sendable, Hashable, CustomStringConvertible {
    /// Sorted by file and line.
    public var errors: [RouteError]

    public init(_ errors: [RouteError]) {
        self.errors = errors.sorted()
    }

    /// One `file:line: message` per line, as `inlet check` prints them.
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
