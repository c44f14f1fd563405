import ArgumentParser
import Foundation
import RapportStore

struct Tenants: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list and delete tenants.",
        subcommands: [Create.self, List.self, Delete.self])

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
        static let configuration = CommandConfiguration(abstract: "List the tenants.")
        @OptionGroup var options: DatabaseOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let tenants = try await Store.withStore(try options.database(), logger: options.logger(default: .notice)) { store in
                try await store.listTenants()
            }
            if json {
                print(try encodeJSON(tenants))
                return
            }
            print(TextTable.render(header: ["slug", "name", "created_at"],
                                   rows: tenants.map { [$0.slug, $0.name, iso8601($0.createdAt)] }))
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
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

func iso8601(_ date: Date) -> String {
    date.formatted(.iso8601)
}
