import Foundation
import MongoStore

/// Where the real Redis and SecantusDB started by `scripts/test` (or `scripts/dev-services`) listen.
/// Each test takes its own database name or key prefix from `unique(_:)`, so tests run in parallel.
enum TestServices {
    static var redisURL: String {
        ProcessInfo.processInfo.environment["INLET_TEST_REDIS_URL"] ?? "redis://127.0.0.1:16379"
    }

    static var mongoBaseURL: String {
        ProcessInfo.processInfo.environment["INLET_TEST_MONGO_URL"] ?? "mongodb://127.0.0.1:27117"
    }

    /// A MongoDB URL naming a database of its own.
    static func mongoURL(database: String) -> String {
        "\(mongoBaseURL)/\(database)"
    }

    /// A name no other test uses: a prefix plus random letters.
    static func unique(_ prefix: String) -> String {
        let letters = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return prefix + "_" + String((0..<10).map { _ in letters.randomElement()! })
    }
}

extension MongoStore.Configuration {
    /// For stores on the shared SecantusDB. The whole suite runs at once on two cores, and there a
    /// bulk has gone unanswered past the default 5 s socket timeout: its writes then came back as
    /// duplicates on the retry, or expired and were answered 503, in tests about something else.
    /// Tests of timeouts and outages set their own (`MongoStoreFaultTests`).
    static var sharedServer: Self {
        var configuration = Self()
        configuration.socketTimeout = .seconds(30)
        configuration.retryDeadline = .seconds(30)
        return configuration
    }
}
