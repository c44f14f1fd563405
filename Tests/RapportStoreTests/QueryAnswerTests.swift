import Foundation
import PostgresNIO
import RapportQL
import RapportTestSupport
import Testing
@testable import RapportStore

/// Every query of every `Grammar/examples/*.rql` runs on the seeded tenant and must give the
/// answer of the hand-written SQL in `Oracle/<example>.sql` (written from the spec by someone
/// who had not read the compiler): same rows, same order, numbers compared exactly,
/// timestamps as instants.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs scripts/test's PostgreSQL"))
struct QueryAnswerTests {
    static let oracleFolder = QuerySeed.root.appendingPathComponent("Tests/RapportStoreTests/Oracle")

    static var examplesWithOracles: [String] {
        QuerySeed.exampleNames().filter { FileManager.default.fileExists(atPath: oracleFolder.appendingPathComponent("\($0).sql").path) }
    }

    static func oracle(_ name: String) throws -> [String] {
        let text = try String(contentsOf: oracleFolder.appendingPathComponent("\(name).sql"), encoding: .utf8)
        return text.components(separatedBy: "\n;").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { chunk in chunk.split(separator: "\n").contains { !$0.hasPrefix("--") && !$0.trimmingCharacters(in: .whitespaces).isEmpty } }
    }

    /// The oracle's rows, every cell as JSON text renders it (column order kept).
    static func oracleRows(_ sql: String, store: Store, tenant: Tenant) async throws -> [[String?]] {
        try await store.withTenant(tenant, readOnly: true) { connection in
            try await connection.query("SET LOCAL TimeZone = 'UTC'", logger: store.logger)
            let wrapped = "SELECT (SELECT json_agg(value)::text FROM json_each_text(row_to_json(o))) FROM (\(sql)) o"
            var rows: [[String?]] = []
            for try await text in try await connection.query(PostgresQuery(unsafeSQL: wrapped), logger: store.logger).decode(String?.self) {
                let cells = try JSONSerialization.jsonObject(with: Data((text ?? "[]").utf8)) as? [Any] ?? []
                rows.append(cells.map { $0 as? String })
            }
            return rows
        }
    }

    /// Whether Rapport's `value` is the oracle's `text`.
    static func same(_ value: QueryValue, _ text: String?) -> Bool {
        guard let text else { return value == .null }
        switch value {
        case .null: return false
        case .text(let string): return string == text
        case .number, .duration:
            guard let number = value.decimal else { return false }
            return Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")).map { abs(NSDecimalNumber(decimal: $0 - number).doubleValue) < 1e-9 } ?? false
        case .boolean(let flag): return text == (flag ? "true" : "false")
        case .timestamp(let string): return Timestamp.parse(string) != nil && Timestamp.parse(string) == Timestamp.parse(text)
        }
    }

    @Test func seededCatalogueIsTheGoldenTestsCatalogue() async throws {
        try await withTestStore { store, _ in
            let tenant = try await QuerySeed.seed(store)
            let rows = try await store.withTenant(tenant, readOnly: true) { connection in
                var entries: [[String]] = []
                for try await (kind, name, type) in try await connection.query(
                    "SELECT kind, name, type FROM catalogue ORDER BY kind, name, type", logger: store.logger).decode((String, String, String).self) {
                    entries.append([kind, name, type])
                }
                return entries
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let fresh = String(decoding: try encoder.encode(rows), as: UTF8.self) + "\n"
            if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" {
                try fresh.write(to: QuerySeed.catalogFile, atomically: true, encoding: .utf8)
            }
            let committed = try? String(contentsOf: QuerySeed.catalogFile, encoding: .utf8)
            #expect(committed == fresh, "Tests/Fixtures/query-catalog.json differs from the seeded catalogue; RECORD_SNAPSHOTS=1 re-records it")
        }
    }

    @Test(arguments: examplesWithOracles)
    func answersMatchTheOracle(_ example: String) async throws {
        let text = try QuerySeed.example(example)
        let oracle = try Self.oracle(example)
        let (script, syntax) = RQL.parse(text)
        #expect(syntax.isEmpty)
        try await withTestStore { store, _ in
            let tenant = try await QuerySeed.seed(store)
            let options = QueryOptions(now: QuerySeed.now)
            var asked = 0
            for statement in script.statements {
                let source = script.text(of: statement.range)
                switch statement.kind {
                case .query(let query):
                    if case .funnelDropped = query.source { continue }
                    guard asked < oracle.count else {
                        Issue.record("no oracle statement for `\(source)`")
                        return
                    }
                    let expected = try await Self.oracleRows(oracle[asked], store: store, tenant: tenant)
                    asked += 1
                    let result: QueryResult
                    do {
                        result = try #require(try await store.query(source, tenant: tenant, options: options).last)
                    } catch {
                        Issue.record("`\(source)` failed: \(String(reflecting: error))")
                        continue
                    }
                    #expect(result.rows.count == expected.count, "row count of `\(source)`")
                    #expect(!result.truncated)
                    for (index, (row, oracleRow)) in zip(result.rows, expected).enumerated() {
                        let matches = row.count == oracleRow.count && zip(row, oracleRow).allSatisfy { Self.same($0, $1) }
                        #expect(matches, "row \(index + 1) of `\(source)`: rapport \(row.map(\.display)) oracle \(oracleRow.map { $0 ?? "null" })")
                        if !matches { break }
                    }
                case .segment, .metric, .drop, .show, .describe, .explain, .explainReport:
                    do {
                        _ = try await store.query(source, tenant: tenant, options: options)
                    } catch {
                        Issue.record("`\(source)` failed: \(String(reflecting: error))")
                    }
                case .funnel, .lifecycleStage, .setValue, .report, .sync:
                    continue
                }
            }
            #expect(asked == oracle.count, "every oracle statement was used")
        }
    }
}
