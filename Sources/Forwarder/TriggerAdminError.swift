/// A write the server refused while retrying triggers.
public struct TriggerAdminError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { "cannot retry triggers: \(message)" }
}
