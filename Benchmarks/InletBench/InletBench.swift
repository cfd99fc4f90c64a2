import ArgumentParser

/// Measurement programs that `scripts/bench` runs next to their references. Not part of the server.
@main
struct InletBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inlet-bench",
        abstract: "Benchmarks of inlet's parts against their references.",
        subcommands: [StoreBench.self, RateLimitBench.self, NormalizeBench.self, CallbacksBench.self]
    )
}
