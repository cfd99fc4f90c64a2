import ArgumentParser
import Foundation
import InletConfig
import Logging
import MongoStore

/// `--mongo-url` for the operator commands that talk to MongoDB directly (keys, triggers).
struct StoreOptions: ParsableArguments {
    @Option(help: "MongoDB URL (INLET_MONGO_URL).") var mongoURL: String?

    /// Opens the store named by the flag or `INLET_MONGO_URL`, runs `body`, and always closes it.
    func withStore<T>(_ body: (MongoStore) async throws -> T) async throws -> T {
        var settings = InletSettings()
        if let url = mongoURL ?? ProcessInfo.processInfo.environment["INLET_MONGO_URL"] { settings.mongoURL = url }
        var configuration = MongoStore.Configuration()
        configuration.defaultDatabase = settings.mongoDatabase
        let store = try MongoStore(url: settings.mongoURL, configuration: configuration, logger: Logger(label: "inlet.cli"))
        do {
            let result = try await body(store)
            try await store.shutdown()
            return result
        } catch {
            try? await store.shutdown()
            throw error
        }
    }
}
