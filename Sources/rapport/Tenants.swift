import ArgumentParser
import Foundation
import RapportStore

struct Tenants: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list and delete tenants.",
        subcommands: [Create.self, List.self, Delete.self, Move.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a tenant with its own schema and role.")
        @OptionGroup var options: DatabaseOptions
        @Argument(help: "The tenant's slug: lowercase letters, digits and underscores.") var slug: String
        @Option(help: "The display name (default: the slug).") var name: String?

        func run() async throws {
            let (slug, name) = (self.slug, self.name)
            let tenant = try await Store.withStore(try options.database(), logger: options.logger(default: .notice)) { store in
                try await store.createTenant(slug: slug, name: name, actor: "cli")
            }
            printError("Created tenant `\(tenant.slug)` (\(tenant.name)) with schema \(tenant.schema).")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the tenants with their state and size (and, on Citus, the worker that holds each).")
        @OptionGroup var options: DatabaseOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let (overview, citus) = try await Store.withStore(try options.database(), logger: options.logger(default: .notice)) { store in
                (try await store.tenantOverview(), try await store.hasCitus())
            }
            if json {
                print(try encodeJSON(overview))
                return
            }
            var header = ["slug", "name", "state", "size"]
            if citus { header.append("node") }
            print(TextTable.render(header: header + ["summaries", "created_at"], rows: overview.map { entry in
                var row = [entry.tenant.slug, entry.tenant.name, entry.state.rawValue, entry.bytes.map(byteSize) ?? "-"]
                if citus { row.append(entry.node ?? "coordinator (not distributed)") }
                return row + [entry.summaries.map(Self.describe) ?? "-", iso8601(entry.tenant.createdAt)]
            }))
        }

        /// `ready`, or how far a rebuild has come: `rebuilding: 41% (410000 of 1000000 profiles)`.
        static func describe(_ status: SummaryStatus) -> String {
            guard !status.ready else { return "ready" }
            let share = status.profiles == 0 ? 0 : status.profilesDone * 100 / status.profiles
            return "rebuilding: \(share)% (\(status.profilesDone) of \(status.profiles) profiles)"
        }
    }

    struct Move: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move a tenant, whole, to another Citus worker (citus_schema_move); writes wait while it ends.")
        @OptionGroup var options: DatabaseOptions
        @Argument(help: "The tenant's slug.") var slug: String
        @Option(help: "The worker, HOST:PORT as the cluster names it (see `rapport migrate --status`).") var to: String

        func run() async throws {
            let (slug, node) = (self.slug, self.to)
            let interactive = isatty(STDERR_FILENO) != 0
            try await Store.withStore(try options.database(), logger: options.logger(default: .notice)) { store in
                try await store.moveTenant(slug: slug, to: node) { progress in
                    let line = "moving \(slug) to \(node): \(byteSize(progress.copied)) of \(byteSize(progress.total)) copied"
                    if interactive {
                        FileHandle.standardError.write(Data(("\r" + line + "\u{1B}[K").utf8))
                    } else {
                        printError(line)
                    }
                }
            }
            if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
            printError("Moved tenant `\(slug)` to \(node).")
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a tenant, its schema, its role and its keys.")
        @OptionGroup var options: DatabaseOptions
        @Argument var slug: String
        @Flag(help: "Confirm: the tenant's data cannot be recovered.") var yes = false

        func run() async throws {
            guard yes else {
                throw ValidationError("Deleting `\(slug)` removes all of its data for good; run again with --yes to confirm.")
            }
            let slug = self.slug
            try await Store.withStore(try options.database(), logger: options.logger(default: .notice)) { store in
                try await store.deleteTenant(slug: slug, actor: "cli")
            }
            printError("Deleted tenant `\(slug)`.")
        }
    }
}

func encodeJSON<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.dateEncodingStrategy = .iso8601
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    // Foundation prints an empty array or object over three lines; `[]` and `{}` read better.
    // (A JSON string holds no raw newline, so only the empty containers match.)
    return String(decoding: try encoder.encode(value), as: UTF8.self)
        .replacing(/\[\n\s*\n\s*\]/, with: "[]")
        .replacing(/\{\n\s*\n\s*\}/, with: "{}")
}

/// `1 identifier`, `2 identifiers`.
func counted(_ count: Int, _ noun: String) -> String {
    "\(count) \(noun)\(count == 1 ? "" : "s")"
}

func iso8601(_ date: Date) -> String {
    date.formatted(.iso8601)
}

/// `bytes` for people: `812 kB`, `3.4 MB`, `1.2 GB` (powers of 1,024, as PostgreSQL's pg_size_pretty).
func byteSize(_ bytes: Int64) -> String {
    let units = ["bytes", "kB", "MB", "GB", "TB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024, unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    return unit == 0 ? "\(bytes) bytes" : (value < 10 ? "\(String(format: "%.1f", value)) \(units[unit])" : "\(Int(value.rounded())) \(units[unit])")
}
