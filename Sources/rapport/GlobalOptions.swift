import ArgumentParser
import Foundation
import Logging
import RapportQL
import RapportServer
import RapportStore

/// Options every command that touches the database takes.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "A PostgreSQL URL (default: $DATABASE_URL, else the embedded PostgreSQL).")
    var databaseURL: String?

    @Option(name: .customLong("data-dir"), help: "The embedded PostgreSQL's data folder (default: $RAPPORT_DATA_DIR, else ./.rapport).")
    var dataDirectory: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level?

    @Option(name: .customLong("log-format"), help: "text or json.")
    var logFormat: LogFormat = .text

    func database() throws -> DatabaseConfiguration {
        do {
            return try DatabaseConfiguration.fromEnvironment(databaseURL: databaseURL, dataDirectory: dataDirectory)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// Sets up logging to standard error (so standard output carries only results) and returns a logger.
    func logger(label: String = "rapport", default level: Logger.Level) -> Logger {
        let chosen = logLevel ?? ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? level
        RapportLogging.bootstrap(format: logFormat, level: chosen)
        return Logger(label: label)
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
extension LogFormat: ExpressibleByArgument {}

/// Writes `text` to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

extension Store {
    /// The tenant with `slug` for a command: a slug that names none gets the nearest one
    /// ("did you mean") and where to see them all.
    func commandTenant(_ slug: String) async throws -> Tenant {
        if let tenant = try await tenant(slug: slug) { return tenant }
        let slugs = try await listTenants().map(\.slug)
        var text = "There is no tenant `\(slug)`"
        if let near = EditDistance.closest(to: slug, among: slugs) { text += " (did you mean `\(near)`?)" }
        text += slugs.isEmpty ? "; this database has no tenant yet (`rapport tenants create SLUG`)." : "; `rapport tenants list` shows them."
        throw StoreError.invalidInput(text)
    }
}
