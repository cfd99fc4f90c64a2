import Foundation

/// A `redis-server` of the test's own on a free loopback port, for tests that kill Redis or flush
/// its scripts: the shared Redis is never stopped or flushed. The port is one that survives a
/// restart (`RestartablePort`).
final class RedisPrivateServer: @unchecked Sendable {
    private(set) var port: Int
    private var process: Process?

    var url: String { "redis://127.0.0.1:\(port)" }

    /// Another server of the suite can take the free port between the check and redis-server's
    /// bind (it happened once in a clean-clone CI run): a server that exits at once gets another.
    init() async throws {
        port = try await RestartablePort.free()
        for _ in 0..<4 {
            do {
                try await start()
                return
            } catch RedisPrivateServerError.didNotStart(_) where process?.isRunning != true {
                port = try await RestartablePort.free()
            }
        }
        try await start()
    }

    /// Starts (or restarts) the server on `port` and returns once it answers `PING`.
    func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        process.arguments = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        for _ in 0..<100 {
            if cli("PING") == "PONG" { return }
            // Exited: it could not bind the port. Waiting longer would not help.
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw RedisPrivateServerError.didNotStart(port: port)
    }

    /// SIGKILL, because children of a Swift process inherit a signal mask that blocks SIGTERM,
    /// and because a test that "kills Redis" should not give it a graceful shutdown anyway.
    func stop() {
        guard let process else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    /// Runs one command through `redis-cli` and returns its trimmed output.
    @discardableResult
    func cli(_ arguments: String...) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-cli")
        process.arguments = ["-p", String(port)] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return "" }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    deinit {
        stop()
    }
}

enum RedisPrivateServerError: Error {
    case didNotStart(port: Int)
}
