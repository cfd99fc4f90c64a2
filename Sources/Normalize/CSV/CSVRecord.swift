/// What the parser yields for each record of a CSV stream: its fields, or why it was refused.
/// A refused record never stops the stream; the parser resynchronises and goes on.
public enum CSVRecord: Sendable, Hashable {
    case row(CSVRow)
    case error(CSVParseError)
}

/// One well-formed record: its fields, decoded as UTF-8, in order.
public struct CSVRow: Sendable, Hashable {
    /// The 1-based physical line where the record starts; quoted newlines make later records start further down.
    public var line: Int
    public var fields: [String]

    public init(line: Int, fields: [String]) {
        self.line = line
        self.fields = fields
    }
}

/// A record the parser could not read: its 1-based start line, the 1-based number of the field at
/// fault when there is one, and a message fit for the partner who sent the file.
public struct CSVParseError: Error, Sendable, Hashable {
    public var line: Int
    public var column: Int?
    public var message: String

    public init(line: Int, column: Int?, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }
}
