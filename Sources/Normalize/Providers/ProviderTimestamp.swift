import Foundation
import InletModel

/// Timestamps as providers write them: ISO 8601 with 3 (SNS) or 7 (Postmark) fractional digits
/// and `Z` or `-04:00` offsets, or Unix seconds as a number or a string (WhatsApp).
enum ProviderTimestamp {
    /// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, through the shared reader.
    static func iso8601(_ text: String) -> Date? {
        ISO8601Timestamp.parse(text)
    }

    /// Unix seconds given as a number or a string of digits (WhatsApp sends `"1603086313"`).
    static func unix(_ value: JSONValue?) -> Date? {
        switch value {
        case .int(let seconds)?: return Date(timeIntervalSince1970: Double(seconds))
        case .double(let seconds)? where seconds.isFinite: return Date(timeIntervalSince1970: seconds)
        case .string(let text)?:
            guard let seconds = Double(text), seconds.isFinite, !text.isEmpty,
                text.utf8.allSatisfy({ ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: ".") })
            else { return nil }
            return Date(timeIntervalSince1970: seconds)
        default: return nil
        }
    }
}
