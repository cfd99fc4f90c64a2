import ArgumentParser
import Forwarder
import Foundation
import InletConfig
import Logging
import MongoStore

/// `inlet triggers list|retry`: the operator's view of the campaign trigger outbox, mostly for
/// triggers the forwarder gave up on (`dead`) once the engine is fixed.
struct Triggers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Campaign trigger outbox.", subcommands: [List.self, Retry.self])

    static let statuses = ["pending", "sending", "delivered", "dead"]

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List triggers by status: id, tenant, trigger, campaign, attempts, last error (tab-separated)."
        )
        @Option(help: "pending, sending, delivered or dead.") var status: String = "dead"
        @Option(help: "At most this many, oldest first (0: all).") var limit: Int = 100
        @OptionGroup var store: StoreOptions

        func validate() throws {
            guard Triggers.statuses.contains(status) else {
                throw ValidationError("status must be one of \(Triggers.statuses.joined(separator: ", "))")
            }
            guard limit >= 0 else { throw ValidationError("limit must not be negative") }
        }

        func run() async throws {
            let triggers = try await store.withStore { try await TriggerAdmin(store: $0).list(status: status, limit: limit) }
            for trigger in triggers {
                let lastError = trigger.lastError.map { $0.split(whereSeparator: \.isNewline).joined(separator: " ") } ?? "-"
                print([trigger.id, trigger.tenantId, trigger.trigger, trigger.campaign, String(trigger.attempts), lastError].joined(separator: "\t"))
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a dead trigger (or all of them) due now with its attempts reset."
        )
        @Argument(help: "The trigger's id, as `triggers list` shows it.") var id: String?
        @Flag(help: "Retry every dead trigger.") var allDead = false
        @OptionGroup var store: StoreOptions

        func validate() throws {
            guard (id != nil) != allDead else { throw ValidationError("give either a trigger id or --all-dead") }
        }

        func run() async throws {
            if allDead {
                let count = try await store.withStore { try await TriggerAdmin(store: $0).retryAllDead() }
                print("scheduled \(count) trigger(s) for delivery")
                return
            }
            guard let id else { return }
            switch try await store.withStore({ try await TriggerAdmin(store: $0).retry(id: id) }) {
            case .scheduled: print("scheduled \(id) for delivery")
            case .notFound: throw ValidationError("no trigger \(id)")
            case .inFlight: throw ValidationError("trigger \(id) is being sent right now")
            case .alreadyDelivered: throw ValidationError("trigger \(id) was already delivered")
            }
        }
    }
}
