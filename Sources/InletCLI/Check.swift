import ArgumentParser
import Foundation

/// `inlet check`: validates the route files; every problem is printed as `file:line: message`.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Validate the route files.")

    @Option(help: "Folder of route files.") var routes: String = ProcessInfo.processInfo.environment["INLET_ROUTES"] ?? "routes"

    func run() throws {
        guard let table = loadRoutes(directory: routes) else { throw ExitCode(1) }
        print("\(table.files.count) route file(s), \(table.sources.count) source(s): ok (fingerprint \(table.fingerprint.prefix(12)))")
    }
}
