import Foundation
import MongoStore
import NIOCore

/// A SecantusDB of a test's own, on a free loopback port: for tests that arm server-wide
/// failpoints or kill the server, which must never touch the shared instance.
final class MongoStorePrivateServer: @unchecked Sendable {
    private(set) var port: Int
    private var process: Process?

    var url: String { "mongodb://127.0.0.1:\(port)" }

    func url(database: String) -> String { "\(url)/\(database)" }

    /// Up to three tries, each on a new free port: another process can take the port between
    /// choosing it and the server's bind, and then the server exits at once. The port is one that
    /// survives a restart (`RestartablePort`).
    init() async throws {
        port = try await RestartablePort.free()
        for attempt in 1...3 {
            do {
                try await start()
                return
            } catch where attempt < 3 {
                kill()
                port = try await RestartablePort.free()
            }
        }
    }

    static var executable: String {
        if let path = ProcessInfo.processInfo.environment["INLET_SECANTUSD"] { return path }
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return repository.appendingPathComponent(".venv/bin/secantusd-py").path
    }

    /// Starts (or restarts, on the same port) and waits until it answers `ping`.
    func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = [
            "--host", "127.0.0.1", "--port", String(port), "--storage-path", ":memory:", "--enable-test-commands",
            "--log-level", "WARNING",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        let probe = try MongoStore(url: url(database: "probe"))
        var answered = false
        // Up to 30 s (Python's start-up on a loaded machine once took over 10 s), unless the
        // server has exited (a port taken in the meantime). A failed ping takes up to 2 s.
        let deadline = NIODeadline.now() + .seconds(30)
        while !answered, NIODeadline.now() < deadline, process.isRunning {
            answered = (try? await probe.ping()) != nil
            if !answered { try await Task.sleep(for: .milliseconds(250)) }
        }
        try await probe.shutdown()
        guard !answered else { return }
        throw MongoStoreError(code: .unavailable, message: "private SecantusDB on port \(port) did not start")
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    func kill() {
        guard let process, process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    deinit {
        kill()
    }
}
