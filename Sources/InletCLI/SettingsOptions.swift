import ArgumentParser
import Foundation
import InletConfig

/// The flags of `inlet serve`; each overrides its environment variable (CONTRACT.md "Running it").
struct SettingsOptions: ParsableArguments {
    @Option(help: "Public TLS listener, host:port (INLET_LISTEN).") var listen: String?
    @Option(help: "Admin listener, host:port (INLET_ADMIN_LISTEN).") var adminListen: String?
    @Option(help: "PEM certificate chain (INLET_TLS_CERT).") var tlsCert: String?
    @Option(help: "PEM private key (INLET_TLS_KEY).") var tlsKey: String?
    @Option(help: "Folder of route files (INLET_ROUTES).") var routes: String?
    @Option(help: "Redis URL (INLET_REDIS_URL).") var redisURL: String?
    @Option(help: "MongoDB URL; its path names the database (INLET_MONGO_URL).") var mongoURL: String?
    @Option(help: "Campaign engine base URL (INLET_ENGINE_URL).") var engineURL: String?
    @Option(help: "The URL providers see (INLET_PUBLIC_URL).") var publicURL: String?
    @Option(help: "This deployment's region: ind, us or eu (INLET_REGION).") var region: String?

    /// The environment's settings with the flags laid over them.
    func settings(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> InletSettings {
        var overlaid = environment
        let flags: [(String, String?)] = [
            ("INLET_LISTEN", listen), ("INLET_ADMIN_LISTEN", adminListen), ("INLET_TLS_CERT", tlsCert),
            ("INLET_TLS_KEY", tlsKey), ("INLET_ROUTES", routes), ("INLET_REDIS_URL", redisURL),
            ("INLET_MONGO_URL", mongoURL), ("INLET_ENGINE_URL", engineURL), ("INLET_PUBLIC_URL", publicURL),
            ("INLET_REGION", region),
        ]
        for case let (name, value?) in flags { overlaid[name] = value }
        do {
            return try InletSettings.fromEnvironment(overlaid)
        } catch {
            throw ValidationError("\(error)")
        }
    }
}

/// Loads the route files, printing every problem as `file:line: message` on standard error
/// (or, `quietly`, one line saying how many there were).
func loadRoutes(directory: String, quietly: Bool = false) -> RouteTable? {
    switch RouteLoader.load(directory: directory, environment: ProcessInfo.processInfo.environment) {
    case .success(let table):
        return table
    case .failure(let errors):
        var standardError = FileHandle.standardError
        if quietly {
            print("note: the route files in \(directory) do not load here (\(errors.errors.count) problems; `inlet check` lists them)",
                  to: &standardError)
        } else {
            for error in errors.errors { print(error, to: &standardError) }
        }
        return nil
    }
}

extension FileHandle: @retroactive TextOutputStream {
    public func write(_ string: String) {
        write(Data(string.utf8))
    }
}
