import ArgumentParser
import InletServer

/// `inlet certs dev`: a self-signed certificate for localhost, for development only.
struct Certs: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Certificates.", subcommands: [Dev.self])

    struct Dev: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a self-signed localhost certificate into a folder.")

        @Option(help: "Where to write dev.pem and dev-key.pem.") var directory: String = "certs"

        func run() throws {
            let paths = try DevCertificate.write(to: directory)
            print("wrote \(paths.certificate) and \(paths.key)")
        }
    }
}
