import ArgumentParser
import Foundation
import RapportQL
import RapportREPL
import RapportStore

/// `rapport query --tenant acme 'count profiles where plan = "pro"'`.
struct Query: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run RQL against a tenant and print the result.",
        discussion: """
            The query is read from the argument, or from standard input when it is `-`. Problems are \
            printed with their line, column and a suggestion, and nothing runs (exit status 2).
            """)

    @OptionGroup var options: DatabaseOptions
    @Option(help: "The tenant's slug.") var tenant: String
    @Option(help: "table, json, csv or ndjson, as the REPL prints them.") var format: OutputFormat = .table
    @Flag(help: "Each result as POST /v1/query answers it (columns, rows, truncated).") var json = false
    @Option(help: "The statement timeout in milliseconds.") var timeoutMs = 30_000
    @Option(help: "The most rows to print.") var rowCap = 10_000
    @Argument(help: "The RQL script, or - to read it from standard input.") var query: String

    func validate() throws {
        if json && format != .table { throw ValidationError("--json and --format exclude each other: --json prints POST /v1/query's answer, --format \(format.rawValue) the REPL's.") }
    }

    func run() async throws {
        let text = query == "-" ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) : query
        let (slug, format, json) = (tenant, format, json)
        let queryOptions = QueryOptions(timeout: .milliseconds(timeoutMs), rowCap: rowCap)
        do {
            let results = try await Store.withStore(try options.database(), logger: options.logger(default: .notice)) { store in
                let tenant = try await store.commandTenant(slug)
                return try await store.query(text, tenant: tenant, options: queryOptions)
            }
            let width = terminalWidth()
            for result in results {
                if json {
                    print(try encodeJSON(result))
                    continue
                }
                print(try ResultRenderer.render(result, format: format, width: width, expanded: .auto))
                if result.truncated && format != .table { printError(ResultRenderer.truncation(result)) }
            }
        } catch let error as QueryError {
            printError(error.description)
            throw ExitCode(2)
        }
    }
}

/// `rapport compile --stage sql 'profiles | where plan = "pro"'`: the compiler's stages.
struct Compile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what the RQL compiler makes of a query, stage by stage.",
        discussion: """
            tokens and ast need no database. typed and sql check names against a tenant's catalogue \
            (--tenant); without one the catalogue is empty, so only built-in fields resolve.
            """)

    @OptionGroup var options: DatabaseOptions
    @Option(help: "The stage to print: tokens, ast, typed or sql.") var stage: String = "sql"
    @Option(help: "The tenant whose catalogue names are checked against.") var tenant: String?
    @Argument(help: "The RQL script, or - to read it from standard input.") var query: String

    func run() async throws {
        guard let stage = RQL.Stage(rawValue: stage) else {
            throw ValidationError("--stage is one of tokens, ast, typed, sql.")
        }
        let text = query == "-" ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) : query
        var catalog = CatalogSnapshot(entries: [], identityKinds: IdentityRules.defaults.kinds.map {
            IdentityKindInfo(name: $0.name, normalization: $0.normalization.rawValue)
        })
        if let slug = tenant, stage == .typed || stage == .sql {
            catalog = try await Store.withStore(try options.database(), logger: options.logger(default: .notice)) { store in
                let tenant = try await store.commandTenant(slug)
                return try await store.catalog(tenant: tenant)
            }
        }
        let (output, diagnostics) = RQL.dump(text, stage: stage, catalog: catalog)
        if !output.isEmpty { print(output) }
        guard diagnostics.isEmpty else {
            let source = SourceText(text)
            printError(diagnostics.map { DiagnosticRenderer.render($0, in: source) }.joined(separator: "\n\n"))
            if tenant == nil, stage == .typed || stage == .sql, diagnostics.contains(where: { ["unknown-field", "unknown-name", "unknown-event", "unknown-property"].contains($0.code) }) {
                printError("note: without --tenant no trait, event or saved name is known; add --tenant SLUG to check against a tenant's.")
            }
            throw ExitCode(2)
        }
    }
}
