import Foundation
import InletModel
import MongoStore
import Testing

/// The `inlet` binary's operator commands, run as a process the way an operator runs them:
/// exit codes, what goes to standard output, and flags winning over the environment.
@Suite("inlet CLI")
struct CLITests {
    /// `scripts/test` builds it with the tests and names it; run alone, `swift build` puts it here.
    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["INLET_TEST_BINARY"] { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/inlet").path
    }

    struct Run {
        var status: Int32
        var output: String
        var errors: String
    }

    static func inlet(_ arguments: [String], environment: [String: String] = [:]) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        // Only what the test gives: no INLET_* of the shell running the suite.
        process.environment = ["PATH": "/usr/bin:/bin"].merging(environment) { $1 }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
                   errors: String(decoding: errorData, as: UTF8.self))
    }

    static func routesDirectory(_ files: [String: String]) throws -> String {
        let directory = NSTemporaryDirectory() + TestServices.unique("cli-routes")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, text) in files {
            try Data(text.utf8).write(to: URL(fileURLWithPath: "\(directory)/\(name)"))
        }
        return directory
    }

    static let goodRoutes = """
        tenant: acme
        region: ind
        sources:
          - id: acme-web
            kind: events
          - id: acme-twilio
            kind: twilio
            secret: env:ACME_TWILIO_TOKEN
        """

    @Test("the binary the other CLI tests run is there")
    func binaryIsBuilt() {
        #expect(FileManager.default.isExecutableFile(atPath: Self.binary), "\(Self.binary): run scripts/test, which builds it")
    }

    @Test("check: valid files exit 0; each problem is file:line on standard error and exits 1, without the secret")
    func check() throws {
        let good = try Self.routesDirectory(["acme.yaml": Self.goodRoutes])
        let passed = try Self.inlet(["check", "--routes", good], environment: ["ACME_TWILIO_TOKEN": "t0ken"])
        #expect(passed.status == 0, "\(passed.errors)")
        #expect(passed.output.contains("1 route file(s), 2 source(s): ok"), "\(passed.output)")

        // A secret written as its value, and a missing variable: two problems, both located.
        let bad = try Self.routesDirectory(["acme.yaml": Self.goodRoutes.replacingOccurrences(of: "env:ACME_TWILIO_TOKEN", with: "plain-s3cret-value")
            + "\n  - id: acme-mailgun\n    kind: mailgun\n    secret: env:NOT_SET_ANYWHERE\n"])
        let failed = try Self.inlet(["check", "--routes", bad])
        #expect(failed.status == 1)
        let problems = failed.errors.split(separator: "\n").filter { $0.contains("acme.yaml:") }
        #expect(problems.count == 2, "\(failed.errors)")
        #expect(problems.allSatisfy { $0.range(of: #"acme\.yaml:\d+: "#, options: .regularExpression) != nil }, "\(problems)")
        #expect(!failed.errors.contains("plain-s3cret-value") && !failed.output.contains("plain-s3cret-value"))

        // The flag wins over INLET_ROUTES.
        let flagWins = try Self.inlet(["check", "--routes", good], environment: ["INLET_ROUTES": bad, "ACME_TWILIO_TOKEN": "t0ken"])
        #expect(flagWins.status == 0)
    }

    @Test("keys: create prints the key alone on one line and stores only its hash; list shows it; revoke revokes it")
    func keys() async throws {
        let routes = try Self.routesDirectory(["acme.yaml": Self.goodRoutes])
        let database = TestServices.unique("cli")
        let url = TestServices.mongoURL(database: database)
        // The flag wins: the environment names a MongoDB nobody listens on.
        let environment = ["INLET_MONGO_URL": "mongodb://127.0.0.1:1/nowhere", "ACME_TWILIO_TOKEN": "t0ken"]
        let created = try Self.inlet(["keys", "create", "--tenant", "acme", "--source", "acme-web", "--routes", routes, "--mongo-url", url],
                                     environment: environment)
        #expect(created.status == 0, "\(created.errors)")
        let lines = created.output.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2 && lines[1].isEmpty, "\(created.output)")
        let key = String(lines.first ?? "")
        #expect(key.count >= 20)

        let refused = try Self.inlet(["keys", "create", "--tenant", "acme", "--source", "acme-twilio", "--routes", routes, "--mongo-url", url],
                                     environment: environment)
        #expect(refused.status != 0)
        #expect(refused.output.isEmpty)

        let store = try MongoStore(url: url, configuration: .sharedServer)
        let stored = try await store.find(Collections.apiKeys, filter: [:])
        #expect(stored.count == 1)
        #expect(!JSONValue.object(stored[0]).jsonString().contains(key))
        let prefix = try #require(stored.first?["prefix"]?.stringValue)
        #expect(key.hasPrefix(prefix))

        let listed = try Self.inlet(["keys", "list", "--mongo-url", url], environment: environment)
        #expect(listed.status == 0)
        #expect(listed.output.contains("\(prefix)\tacme\tacme-web"), "\(listed.output)")
        #expect(!listed.output.contains(key))

        let revoked = try Self.inlet(["keys", "revoke", prefix, "--mongo-url", url], environment: environment)
        #expect(revoked.status == 0, "\(revoked.errors)")
        #expect(revoked.output.contains("revoked 1 key(s)"))
        let revokedAt = try await store.find(Collections.apiKeys, filter: ["prefix": .string(prefix)]).first?["revokedAt"]
        if case .date = revokedAt {} else { Issue.record("revokedAt should be a date: \(revokedAt as JSONValue?)") }
        try await store.shutdown()
    }
}
