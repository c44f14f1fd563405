import ArgumentParser
import Foundation
import RapportQL
import RapportStore

/// Destinations from the command line (an operator's or admin's view; the same as `/v1/destinations`).
struct Destinations: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add, list, inspect, pause and remove a tenant's destinations; list and replay dead letters.",
        subcommands: [Add.self, List.self, Status.self, Pause.self, Resume.self, Remove.self, DeadLetters.self, Replay.self])

    struct TenantOptions: ParsableArguments {
        @OptionGroup var database: DatabaseOptions
        @Option(help: "The tenant's slug.") var tenant: String

        func withTenant<R: Sendable>(_ body: @escaping @Sendable (Store, Tenant) async throws -> R) async throws -> R {
            let slug = tenant
            return try await Store.withStore(try database.database(), logger: database.logger(default: .notice)) { store in
                try await body(store, try await store.commandTenant(slug))
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a destination; its secret is printed once, alone on standard output.",
            discussion: """
                A webhook gets JSON batches POSTed to URL, signed with a secret made here. A segment destination \
                gets Segment `batch` calls at URL/v1/batch (Segment, RudderStack, another Rapport) with --write-key. \
                Private and loopback addresses are refused unless RAPPORT_ALLOW_PRIVATE_DESTINATIONS=1.
                """)
        @OptionGroup var options: TenantOptions
        @Argument(help: "The destination's name.") var name: String
        @Option(help: "webhook or segment.") var kind: String
        @Option(help: "Where to send.") var url: String
        @Option(name: .customLong("write-key"), help: "A segment destination's write key.") var writeKey: String?
        @Option(name: .customLong("batch-size"), help: "Records per request (default 100).") var batchSize: Int?
        @Option(help: "Requests in flight at once (default 2).") var concurrency: Int?
        @Option(help: "Records per second at most (default 0: no limit).") var rate: Double?
        @Option(name: .customLong("retry-window"), help: "Seconds a record is retried before it is a dead letter (default 86400).") var retryWindow: Int?
        @Option(help: "Seconds to wait for an answer (default 30).") var timeout: Int?

        func run() async throws {
            guard let kind = DestinationInfo.Kind(rawValue: kind) else {
                throw ValidationError("--kind is `webhook` or `segment`, not `\(self.kind)`.")
            }
            var settings = DestinationSettings()
            if let batchSize { settings.batchSize = batchSize }
            if let concurrency { settings.concurrency = concurrency }
            if let rate { settings.rate = rate }
            if let retryWindow { settings.retryWindow = retryWindow }
            if let timeout { settings.timeout = timeout }
            let allow = ["1", "on", "true", "yes"].contains(ProcessInfo.processInfo.environment["RAPPORT_ALLOW_PRIVATE_DESTINATIONS"]?.lowercased() ?? "")
            let (name, url, writeKey, chosen) = (self.name, self.url, self.writeKey, settings)
            let created = try await options.withTenant { store, tenant in
                try await store.addDestination(name: name, kind: kind, url: url, writeKey: writeKey, settings: chosen,
                                               allowPrivate: allow, tenant: tenant, actor: Privacy.actor)
            }
            print(created.secret)
            printError("Added \(kind.rawValue) destination `\(name)`. \(created.note)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the destinations (never their secrets).")
        @OptionGroup var options: TenantOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let list = try await options.withTenant { store, tenant in try await store.destinations(tenant: tenant) }
            if json { print(try encodeJSON(list)); return }
            print(TextTable.render(header: ["name", "kind", "url", "batch_size", "concurrency", "rate", "paused"],
                                   rows: list.map { [$0.name, $0.kind.rawValue, $0.url, String($0.settings.batchSize), String($0.settings.concurrency),
                                                     $0.settings.rate == 0 ? "-" : String($0.settings.rate), $0.paused ? "yes" : ""] }))
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "How delivery to each destination goes: waiting, retrying, delivered, dead letters, the last errors.")
        @OptionGroup var options: TenantOptions
        @Argument(help: "One destination (default: all).") var name: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let only = name
            let statuses = try await options.withTenant { store, tenant in
                var statuses: [DestinationStatus] = []
                for destination in try await store.destinations(tenant: tenant) where only == nil || only == destination.name {
                    statuses.append(try await store.destinationStatus(destination.name, tenant: tenant))
                }
                if let only, statuses.isEmpty { throw StoreError.notFound("There is no destination `\(only)`.") }
                return statuses
            }
            if json { print(try encodeJSON(statuses)); return }
            print(TextTable.render(header: ["destination", "syncs", "waiting", "retrying", "delivered", "last_delivered_at", "dead_letters", "last_error"],
                                   rows: statuses.map { s in
                                       [s.destination.name + (s.destination.paused ? " (paused)" : ""), s.syncs.joined(separator: ", "),
                                        String(s.pending), String(s.retrying), String(s.delivered), s.lastDeliveredAt.map(iso8601) ?? "",
                                        String(s.deadLetters), s.lastErrors.first.map { "\(iso8601($0.at)) \($0.error)" } ?? ""]
                                   }))
        }
    }

    /// Pauses or resumes destination `name`, then says so.
    static func setPaused(_ paused: Bool, _ name: String, options: TenantOptions, said: String) async throws {
        _ = try await options.withTenant { store, tenant in
            try await store.updateDestination(name, settings: nil, paused: paused, tenant: tenant, actor: Privacy.actor)
        }
        printError(said)
    }

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop delivering to a destination; its records wait.")
        @OptionGroup var options: TenantOptions
        @Argument(help: "The destination.") var name: String

        func run() async throws {
            try await setPaused(true, name, options: options,
                                said: "Paused `\(name)`: nothing is sent to it until it resumes; its records wait, queued or kept by their syncs (a record's retry window counts from its first try).")
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Deliver to a paused destination again.")
        @OptionGroup var options: TenantOptions
        @Argument(help: "The destination.") var name: String

        func run() async throws {
            try await setPaused(false, name, options: options, said: "Resumed `\(name)`.")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a destination with its waiting records and dead letters (refused while a sync uses it).")
        @OptionGroup var options: TenantOptions
        @Argument(help: "The destination.") var name: String

        func run() async throws {
            let name = self.name
            try await options.withTenant { store, tenant in try await store.removeDestination(name, tenant: tenant, actor: Privacy.actor) }
            printError("Removed `\(name)`.")
        }
    }

    struct DeadLetters: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "dead-letters",
                                                        abstract: "List a destination's dead letters (records it did not take).")
        @OptionGroup var options: TenantOptions
        @Argument(help: "The destination.") var name: String
        @Option(help: "At most this many (default 100).") var limit = 100
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let (name, limit) = (self.name, self.limit)
            let letters = try await options.withTenant { store, tenant in
                _ = try await store.destination(name, tenant: tenant)
                return try await store.deadLetters(destination: name, tenant: tenant, limit: limit)
            }
            if json { print(try encodeJSON(letters)); return }
            print(TextTable.render(header: ["id", "sync", "kind", "profile_id", "attempts", "status", "error", "dead_at"],
                                   rows: letters.map { [String($0.id), $0.sync, $0.kind, String($0.profileID), String($0.attempts),
                                                        $0.lastStatus.map(String.init) ?? "", $0.lastError ?? "", iso8601($0.deadAt)] }))
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Put dead letters back in the outbox (all, or those named), with their message ids.")
        @OptionGroup var options: TenantOptions
        @Argument(help: "The destination.") var name: String
        @Option(help: "Only these dead letters (ids, comma-separated).") var ids: String?

        func run() async throws {
            let parsed = try ids.map { text in
                try text.split(separator: ",").map { part -> Int64 in
                    guard let id = Int64(part.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("--ids takes numbers such as 3,4.") }
                    return id
                }
            }
            let name = self.name
            let replayed = try await options.withTenant { store, tenant in
                try await store.replayDeadLetters(destination: name, ids: parsed, tenant: tenant, actor: Privacy.actor)
            }
            printError("Put \(replayed) record(s) back in the outbox of `\(name)`; a running server delivers them.")
        }
    }
}

/// Syncs from the command line: they are saved in RQL (`rapport query`, the REPL); here they
/// are listed, shown and run.
struct Syncs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, show and run a tenant's syncs (save them in RQL: `sync NAME to DEST = QUERY`).",
        subcommands: [List.self, Show.self, Run.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the syncs and how their last runs went.")
        @OptionGroup var options: Destinations.TenantOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let syncs = try await options.withTenant { store, tenant in try await store.syncs(tenant: tenant) }
            if json { print(try encodeJSON(syncs)); return }
            print(TextTable.render(header: ["name", "destination", "schedule", "members", "last_run_at", "entered", "changed", "exited", "last_error"],
                                   rows: syncs.map { s in
                                       [s.name, s.destination, s.every.map { "every " + SyncDefinition.duration($0) } ?? "manually",
                                        String(s.members), s.lastRunAt.map(iso8601) ?? "", String(s.lastRun["entered"] ?? 0),
                                        String(s.lastRun["changed"] ?? 0), String(s.lastRun["exited"] ?? 0), s.lastError ?? ""]
                                   }))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One sync as JSON: its definition, last run, members and records waiting.")
        @OptionGroup var options: Destinations.TenantOptions
        @Argument(help: "The sync.") var name: String

        func run() async throws {
            let name = self.name
            print(try encodeJSON(try await options.withTenant { store, tenant in try await store.sync(name, tenant: tenant) }))
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a sync now: its records are queued, and a running server delivers them.")
        @OptionGroup var options: Destinations.TenantOptions
        @Argument(help: "The sync.") var name: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let name = self.name
            let run = try await options.withTenant { store, tenant in try await store.runSync(name, tenant: tenant) }
            if json { print(try encodeJSON(run)); return }
            print("run \(run.run) of \(run.sync): \(run.members) members; \(run.entered) entered, \(run.changed) changed, \(run.exited) exited; "
                + "\(run.queued) record(s) queued in \(run.milliseconds) ms")
        }
    }
}
