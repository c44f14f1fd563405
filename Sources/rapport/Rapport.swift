import ArgumentParser

/// The `rapport` command: a thin layer that parses arguments and calls the libraries.
@main
struct Rapport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rapport",
        abstract: "Rapport, a customer data platform on PostgreSQL.",
        version: "0.1.0",
        subcommands: [Serve.self, Migrate.self, Tenants.self, Keys.self, Import.self, Identity.self, Profiles.self, Query.self, Repl.self, Compile.self, Privacy.self]
    )
}
