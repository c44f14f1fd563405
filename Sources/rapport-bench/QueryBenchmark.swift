import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import RapportQL
import RapportStore

/// RQL against the best hand-written SQL, in one run on the same machine and data: for each
/// question of `QueryQuestion.all`, the compile time, and the compiled SQL's run time over
/// the hand-written SQL's (the ratio; the aim is at most 1.2). Both answers must be equal.
/// With `--duckdb-python`, also against an outside anchor: the tenant copied into DuckDB (a
/// columnar engine, 2 threads) and each question written in its SQL, answers checked equal.
struct QueryBenchmark: Measurement {
    static let configuration = CommandConfiguration(
        commandName: "query", abstract: "Measure compiled RQL against hand-written SQL.",
        discussion: """
            Needs a tenant loaded with `rapport-bench generate --people 1000000 --events 10000000` \
            and `rapport import` (scripts/bench-query does all of it).
            """)

    @Option(help: "Rapport's login role on the benchmark database.") var databaseURL: String
    @Option(help: "The tenant holding the generated workload.") var tenant = "bench"
    @Option(help: "Timed runs of each query (the median is reported).") var runs = 5
    @Option(help: "Compilations timed per question.") var compilations = 2_000
    @Option(help: "Which questions: query (the 14 RQL questions), value (funnel and value reports) or all.")
    var questions = "query"
    @Option(help: "Only the questions with these names (comma-separated).") var only: String?
    @Flag(help: "Print each compiled query's SQL and its EXPLAIN ANALYZE plan instead of timing it.") var explain = false
    @Option(help: "A Python with the duckdb and psycopg packages: also run each question in DuckDB (scripts/lib/duckdb_anchor.py).")
    var duckdbPython: String?
    @Option(help: "The DuckDB file holding the tenant's copy (made on first use; delete it when the tenant changes).")
    var duckdbFile = "/tmp/rapport-bench.duckdb"

    /// The benchmark's fixed now: two weeks after the generated data's last events.
    static let now = "2024-03-15 00:00:00+00"

    func measure() async throws {
        let logger = benchLogger
        let url = try DatabaseURL(databaseURL)
        let (slug, runs, compilations) = (tenant, runs, compilations)
        let all: [QueryQuestion]
        switch questions {
        case "query": all = QueryQuestion.all
        case "value": all = QueryQuestion.value
        case "all": all = QueryQuestion.all + QueryQuestion.value
        default: throw ValidationError("--questions is query, value or all.")
        }
        let names = only.map { Set($0.split(separator: ",").map(String.init)) }
        let chosen = all.filter { names?.contains($0.name) ?? true }
        let explain = explain
        try await Store.withStore(.url(url), logger: logger) { store in
            guard let tenant = try await store.tenant(slug: slug) else { throw StoreError.tenantNotFound(slug) }
            // The summaries as a server keeps them: a tenant migrated since its import (a new
            // summary column) rebuilds them first, as the server's worker would.
            if try await !store.summaryStatus(tenant: tenant).ready {
                let started = ContinuousClock.now
                say("rebuilding the per-profile summaries …")
                try await store.rebuildSummaries(tenant: tenant, chunk: 50_000)
                say("summaries ready in \((ContinuousClock.now - started).seconds) s")
            }
            _ = try await store.query("""
                segment buyers = profiles | where did `Order Completed`;
                segment big = segment buyers | where sum(`Order Completed`.revenue) > 500
                """, tenant: tenant)
            if questions != "query" { _ = try await store.query(QueryQuestion.valueSetup, tenant: tenant) }
            let catalog = try await store.catalog(tenant: tenant)
            var table: [[String]] = []
            var ratios: [Double] = []
            var answers: [String: (rows: [[String]], seconds: Double)] = [:]
            for question in chosen {
                say("\(question.name) …")
                // Compile time: the whole pipeline, text to SQL.
                let clock = ContinuousClock()
                var compiled: CompiledQuery?
                let compileTime = clock.measure {
                    for _ in 0..<compilations {
                        if case .query(let query)? = RQL.compile(question.rql, catalog: catalog).statements.last { compiled = query }
                    }
                }
                guard let compiled else {
                    let problems = RQL.compile(question.rql, catalog: catalog).diagnostics.map(\.message)
                    say("  does not compile: \(problems)")
                    continue
                }
                let compileMicros = compileTime.seconds * 1e6 / Double(compilations)
                if explain {
                    print("-- \(question.name)\n\(compiled.sql)\n")
                    try await store.withTenant(tenant, readOnly: true) { connection in
                        try await Store.prepareForQueries(connection, logger: store.logger)
                        var query = Self.postgresQuery(compiled)
                        query.sql = "EXPLAIN (ANALYZE, BUFFERS) " + query.sql
                        for try await line in try await connection.query(query, logger: store.logger).decode(String.self) { print(line) }
                    }
                    continue
                }
                let (same, answer) = try await store.withTenant(tenant, readOnly: true) { connection in
                    try await Self.compare(compiled, question.sql, on: connection, logger: store.logger)
                }
                let rows = answer.count
                var handTimes: [Double] = [], rqlTimes: [Double] = []
                // One warm-up of each, then alternate so that both see the same cache state.
                for round in 0...runs {
                    let hand = try await Self.time(PostgresQuery(unsafeSQL: question.sql, binds: Self.nowBinds()), store: store, tenant: tenant)
                    let rql = try await Self.time(Self.postgresQuery(compiled), store: store, tenant: tenant)
                    if round > 0 {
                        handTimes.append(hand)
                        rqlTimes.append(rql)
                    }
                }
                let (hand, rql) = (median(handTimes), median(rqlTimes))
                ratios.append(rql / hand)
                answers[question.name] = (answer, rql)
                table.append([question.name, String(format: "%.0f", compileMicros), String(format: "%.0f", hand * 1000),
                              String(format: "%.0f", rql * 1000), String(format: "%.2f", rql / hand), "\(rows)", same ? "yes" : "NO"])
            }
            var header = ["question", "compile µs", "hand ms", "rql ms", "ratio", "rows", "same answer"]
            if let python = duckdbPython, !explain {
                let anchored = try Self.duckdb(chosen, python: python, file: duckdbFile, runs: runs, url: databaseURL, tenant: tenant)
                header += ["duckdb ms", "rql/duckdb", "same as duckdb"]
                for index in table.indices {
                    let name = table[index][0]
                    guard let duck = anchored[name], let ours = answers[name] else { table[index] += ["—", "—", "—"]; continue }
                    let same = Self.sameAnswer(ours.rows, duck.rows)
                    table[index] += [String(format: "%.0f", duck.seconds * 1000), String(format: "%.2f", ours.seconds / duck.seconds), same ? "yes" : "NO"]
                    if !same { say("\(name): DuckDB's answer differs; first rows: rql \(ours.rows.prefix(3)), duckdb \(duck.rows.prefix(3))") }
                }
            }
            print(render(header: header, rows: table))
            if let worst = ratios.max() {
                print("worst ratio \(String(format: "%.2f", worst)), geometric mean \(String(format: "%.2f", exp(ratios.map(log).reduce(0, +) / Double(ratios.count)))) over \(ratios.count) questions; \(runs) runs each, median")
            }
        }
    }

    /// The hand SQL's one bind, `$1`, now: declared a timestamptz as the compiled queries' are.
    static func nowBinds() -> PostgresBindings { TypedBind.bindings([.now], now: now) }

    static func postgresQuery(_ query: CompiledQuery) -> PostgresQuery {
        PostgresQuery(unsafeSQL: query.sql, binds: TypedBind.bindings(query.binds, now: now))
    }

    /// Seconds to run `query` and read every row, in the tenant's read-only transaction.
    static func time(_ query: PostgresQuery, store: Store, tenant: Tenant) async throws -> Double {
        try await store.withTenant(tenant, readOnly: true) { connection in
            // Both sides run with the settings Rapport's queries get.
            try await Store.prepareForQueries(connection, logger: store.logger)
            let start = ContinuousClock.now
            let rows = try await connection.query(query, logger: store.logger)
            for try await _ in rows {}
            return (ContinuousClock.now - start).seconds
        }
    }

    /// Runs the questions that have DuckDB SQL in scripts/lib/duckdb_anchor.py: each one's
    /// answer (normalised as `compare` does) and median time.
    static func duckdb(_ questions: [QueryQuestion], python: String, file: String, runs: Int, url: String,
                       tenant: Tenant) throws -> [String: (rows: [[String]], seconds: Double)] {
        let written = questions.compactMap { question in question.duckdb.map { ["name": question.name, "sql": $0] } }
        guard !written.isEmpty else { return [:] }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rapport-duckdb-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("questions.json")
        try JSONSerialization.data(withJSONObject: written).write(to: input)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/lib/duckdb_anchor.py").path
        say("DuckDB: \(written.count) questions (copying the tenant into \(file) first if it is not there) …")
        let output = folder.appendingPathComponent("answers.json").path
        let run = try Subprocess.run("/bin/sh", ["-c", "exec \"$0\" \"$@\" > '\(output)'", python, script, "--database-url", url,
                                                 "--schema", tenant.schema, "--role", tenant.role, "--db", file, "--runs", "\(runs)",
                                                 "--now", now, input.path])
        guard run.succeeded, let data = FileManager.default.contents(atPath: output),
              let json = try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]] else {
            throw ValidationError("the DuckDB anchor failed:\n\(run.output)")
        }
        var answers: [String: (rows: [[String]], seconds: Double)] = [:]
        for (name, answer) in json {
            let rows = (answer["rows"] as? [[Any]] ?? []).map { row in row.map { normalise($0 as? String) } }
            answers[name] = (rows, answer["seconds"] as? Double ?? .nan)
        }
        return answers
    }

    /// A cell as `compare` sees it: null, a number, an instant, or text.
    static func normalise(_ string: String?) -> String {
        guard let string else { return "null" }
        if let number = Decimal(string: string, locale: Locale(identifier: "en_US_POSIX")), !string.contains("-") || string.first == "-",
           !string.contains(":") {
            return "\(number)"
        }
        return Timestamp.parse(string).map { "\($0)" } ?? string
    }

    /// Equal answers from two engines: numbers within a relative 1e-9 (DuckDB divides in
    /// binary floating point, PostgreSQL in decimal), everything else exactly.
    static func sameAnswer(_ a: [[String]], _ b: [[String]]) -> Bool {
        guard a.count == b.count else { return false }
        for (x, y) in zip(a, b) {
            guard x.count == y.count else { return false }
            for (p, q) in zip(x, y) where p != q {
                guard let u = Double(p), let v = Double(q), abs(u - v) <= 1e-9 * max(1, abs(u)) else { return false }
            }
        }
        return true
    }

    /// Whether both give the same rows (each cell as JSON text, numbers and instants compared
    /// by value), and the compiled query's rows.
    static func compare(_ compiled: CompiledQuery, _ hand: String, on connection: PostgresConnection, logger: Logger) async throws -> (Bool, [[String]]) {
        try await connection.query("SET LOCAL TimeZone = 'UTC'", logger: logger)
        func cells(_ query: PostgresQuery) async throws -> [[String]] {
            var wrapped = query
            wrapped.sql = "SELECT (SELECT json_agg(value)::text FROM json_each_text(row_to_json(o))) FROM (\(query.sql)) o"
            var rows: [[String]] = []
            for try await text in try await connection.query(wrapped, logger: logger).decode(String?.self) {
                let values = (try? JSONSerialization.jsonObject(with: Data((text ?? "[]").utf8))) as? [Any] ?? []
                rows.append(values.map { normalise($0 as? String) })
            }
            return rows
        }
        let a = try await cells(postgresQuery(compiled))
        let b = try await cells(PostgresQuery(unsafeSQL: hand, binds: nowBinds()))
        return (a == b, a)
    }
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

func render(header: [String], rows: [[String]]) -> String {
    let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
    func line(_ cells: [String]) -> String {
        "| " + cells.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: " | ") + " |"
    }
    return ([line(header), "|" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|"] + rows.map(line))
        .joined(separator: "\n")
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
