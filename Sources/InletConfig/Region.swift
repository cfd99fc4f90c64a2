/// The IDCs inlet runs in. A route file names its tenant's region so that one set of files can be
/// shipped everywhere and each deployment knows which tenants are its own.
public enum Region: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case ind
    case us
    case eu

    public var description: String { rawValue }

    /// The accepted spellings, for error messages.
    static var choices: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
