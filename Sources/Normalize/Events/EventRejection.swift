/// Why one event of a request was not accepted; goes into the response's `rejected` list as is.
///
/// Codes: `too_large`, `invalid_event` (not an object), `invalid_type`, `missing_id`,
/// `missing_event`, `missing_field` (`groupId`, `previousId`), `invalid_field`, `invalid_timestamp`.
public struct EventRejection: Sendable, Hashable {
    public var index: Int
    public var code: String
    public var message: String

    public init(index: Int, code: String, message: String) {
        self.index = index
        self.code = code
        self.message = message
    }
}
