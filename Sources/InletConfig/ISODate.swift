import Foundation

/// ISO-8601 parsing for trigger comparisons: event timestamps arrive as strings with or without
/// fractional seconds, and rules are often written with a date only.
enum ISODate {
    private static let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    private static let plain = Date.ISO8601FormatStyle()
    private static let dateOnly = Date.ISO8601FormatStyle().year().month().day()

    static func parse(_ text: String) -> Date? {
        guard text.count >= 10, text.first?.isNumber == true else { return nil }
        if let date = try? plain.parse(text) { return date }
        if let date = try? withFraction.parse(text) { return date }
        if text.count == 10, let date = try? dateOnly.parse(text) { return date }
        return nil
    }
}
