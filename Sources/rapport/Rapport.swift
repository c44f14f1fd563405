import ArgumentParser
import Foundation
import PostgresNIO
import RapportStore

/// The `rapport` command: a thin layer that parses arguments and calls the libraries.
@main
struct Rapport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rapport",
        abstract: "Rapport, a customer data platform on PostgreSQL.",
        version: "0.1.0 (commit \(BuildVersion.commit))",
        subcommands: [Serve.self, Migrate.self, Tenants.self, Keys.self, Import.self, Identity.self, Profiles.self, Query.self, Repl.self, Compile.self, Privacy.self, Destinations.self, Syncs.self]
    )

    /// Runs the command; an unexpected database error also prints what PostgreSQL said
    /// (SQLSTATE and message), which the operator needs and an API caller never sees.
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let parsed: any ParsableCommand
        do {
            parsed = try parseAsRoot(arguments)
        } catch {
            // A mistyped command or option is named, with the nearest; else ArgumentParser's word.
            // (--help, --version and the completion script also arrive here, as exit status 0.)
            if exitCode(for: error) != .success, let mistake = Mistakes.explain(arguments) {
                printError("Error: \(mistake)")
                exit(withError: ExitCode.validationFailure)
            }
            exit(withError: error)
        }
        do {
            var command = parsed
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let error as StoreError where error.cause != nil {
            printError("Error: \(error)\nPostgreSQL said: \(error.cause ?? "")")
            exit(withError: ExitCode.failure)
        } catch let error as PSQLError {
            printError("Error: the database could not be reached, or refused the command.\nPostgreSQL said: \(StoreError.databaseCause(error))")
            exit(withError: ExitCode.failure)
        } catch {
            exit(withError: error)
        }
    }
}
