import Foundation
import InletModel

extension CSVValueTyping {
    /// Reads an ISO-8601 date or date-time, the forms exports actually use: `2024-05-01`
    /// (midnight UTC), `2024-05-01T10:00:00Z`, with `T`, `t` or a space between date and time,
    /// fractional seconds, and a `Z` or `±HH:MM` / `±HHMM` offset (none means UTC). Calendar
    /// fields are range-checked (`2023-02-29` is text). The shared hand-written reader, because
    /// this runs for every cell of every import.
    public static func date(_ text: String) -> Date? {
        ISO8601Timestamp.parse(text, allowingDateOnly: true)
    }
}
