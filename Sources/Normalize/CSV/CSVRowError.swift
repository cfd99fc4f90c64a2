/// Why one row of an import was rejected, as the import summary reports it:
/// `{"line", "column", "message"}` with the column named as in the header.
public struct CSVRowError: Error, Sendable, Hashable {
    public var line: Int
    public var column: String?
    public var message: String

    public init(line: Int, column: String?, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }
}
