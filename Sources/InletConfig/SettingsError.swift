/// Every malformed setting found in one pass, so an operator fixes them all at once.
/// Messages name the variable; they never repeat a secret or a URL that may hold a password.
public struct SettingsError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        /// The environment variable (or the flag the CLI mapped onto it).
        public var variable: String
        public var message: String

        public init(variable: String, message: String) {
            self.variable = variable
            self.message = message
        }

        public var description: String { "\(variable): \(message)" }
    }

    public var problems: [Problem]

    public init(problems: [Problem]) {
        self.problems = problems
    }

    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
