import ArgumentParser

/// The `inlet` executable: the gateway itself and the operator's tools around it.
@main
struct Inlet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inlet",
        abstract: "Webhook and ingestion gateway: SDK events, provider callbacks and CSV imports into MongoDB.",
        subcommands: [Serve.self, Check.self, Certs.self, Keys.self, Triggers.self]
    )
}
