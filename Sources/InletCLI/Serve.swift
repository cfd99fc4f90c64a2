import ArgumentParser
import Dispatch
import Foundation
import InletServer
import Logging
import ServiceLifecycle

/// `inlet serve`: runs the gateway until SIGTERM or SIGINT, reloading the certificate on SIGHUP.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the gateway.")

    @OptionGroup var options: SettingsOptions
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel: String = "info"

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "inlet")
        let settings = try options.settings()
        guard let routes = loadRoutes(directory: settings.routesDirectory) else {
            throw ExitCode(1)
        }
        logger.info("starting", metadata: ["settings": "\(settings)", "routes": "\(routes.fingerprint.prefix(12))"])
        let application = try InletApplication(settings: settings, routes: routes, logger: logger)

        signal(SIGHUP, SIG_IGN)
        let hangUp = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        hangUp.setEventHandler {
            do {
                try application.reloadCertificates()
            } catch {
                logger.error("certificate reload failed; keeping the old one", metadata: ["error": "\(error)"])
            }
        }
        hangUp.resume()

        let group = ServiceGroup(configuration: .init(
            services: [application], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
        ))
        try await group.run()
        hangUp.cancel()
    }
}
