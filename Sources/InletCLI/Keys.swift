import ArgumentParser
import Foundation
import InletConfig
import Logging
import MongoStore

/// `inlet keys create|list|revoke`: write and partner keys. Only hashes are stored; `create`
/// prints the key once, on one line, and nothing else on standard output.
struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "API keys.", subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key for a source; prints it once.")
        @Option(help: "Tenant id.") var tenant: String
        @Option(help: "Source id (of kind events or imports).") var source: String
        @Option(help: "Folder of route files, to check the source exists.") var routes: String = ProcessInfo.processInfo.environment["INLET_ROUTES"] ?? "routes"
        @OptionGroup var store: StoreOptions

        func run() async throws {
            // The check needs the route files, not their secrets; where they do not load (say, a
            // shell without the secrets' variables) the key is made without it.
            if let table = loadRoutes(directory: routes, quietly: true) {
                guard let route = table.source(id: source), route.tenantId == tenant else {
                    throw ValidationError("no source \(source) for tenant \(tenant) in \(routes)")
                }
                guard route.kind == .events || route.kind == .imports else {
                    throw ValidationError("source \(source) is of kind \(route.kind.rawValue); keys are for events and imports sources")
                }
            }
            let key = try await store.withStore { try await APIKeyStore(store: $0).create(tenantId: tenant, sourceId: source) }
            print(key)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (prefixes only, never secrets).")
        @Option(help: "Only this tenant's keys.") var tenant: String?
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let records = try await store.withStore { try await APIKeyStore(store: $0).list(tenantId: tenant) }
            let formatter = ISO8601DateFormatter()
            for record in records {
                let state = record.revokedAt.map { "revoked \(formatter.string(from: $0))" } ?? "active"
                print("\(record.prefix)\t\(record.tenantId)\t\(record.sourceId)\tcreated \(formatter.string(from: record.createdAt))\t\(state)")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke the key with this prefix.")
        @Argument(help: "The key's prefix, as `keys list` shows it.") var prefix: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let count = try await store.withStore { try await APIKeyStore(store: $0).revoke(prefix: prefix) }
            guard count > 0 else { throw ValidationError("no active key with prefix \(prefix)") }
            print("revoked \(count) key(s)")
        }
    }
}
