import ArgumentParser
import RapportStore

struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list and revoke a tenant's API keys.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a key; it is printed once, alone on standard output.")
        @OptionGroup var options: DatabaseOptions
        @Option(help: "The tenant's slug.") var tenant: String
        @Option(help: "Comma-separated: ingest, query, privacy, admin.") var scopes: String
        @Option(help: "The source name events sent with this key are attributed to.") var source: String?
        @Option(help: "A label for people.") var name: String?

        func run() async throws {
            let scopes = try Scope.parse([self.scopes])
            let (tenant, source, name) = (self.tenant, self.source, self.name)
            let created = try await Store.withStore(try options.database(), logger: options.logger(default: .notice)) { store in
                try await store.createKey(tenant: tenant, scopes: scopes, source: source, name: name, actor: "cli")
            }
            print(created.key)
            printError("Created key \(created.info.id) for tenant `\(tenant)` with scopes \(scopes.map(\.rawValue).joined(separator: ", ")). "
                + "Store it now: it cannot be shown again.")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a tenant's keys (never their secrets).")
        @OptionGroup var options: DatabaseOptions
        @Option(help: "The tenant's slug.") var tenant: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let tenant = self.tenant
            let keys = try await Store.withStore(try options.database(), logger: options.logger(default: .notice)) { store in
                try await store.listKeys(tenant: tenant)
            }
            if json {
                print(try encodeJSON(keys))
                return
            }
            print(TextTable.render(
                header: ["id", "scopes", "source", "name", "created_at", "revoked_at"],
                rows: keys.map { [$0.id, $0.scopes.map(\.rawValue).joined(separator: ","), $0.source ?? "", $0.name ?? "",
                                  iso8601($0.createdAt), $0.revokedAt.map(iso8601) ?? ""] }))
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key by its id.")
        @OptionGroup var options: DatabaseOptions
        @Option(help: "The tenant's slug.") var tenant: String
        @Argument(help: "The key's id, as `keys list` shows it.") var id: String

        func run() async throws {
            let (tenant, id) = (self.tenant, self.id)
            try await Store.withStore(try options.database(), logger: options.logger(default: .notice)) { store in
                try await store.revokeKey(tenant: tenant, id: id, actor: "cli")
            }
            printError("Revoked key \(id).")
        }
    }
}
