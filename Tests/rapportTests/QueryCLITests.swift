import Foundation
import RapportStore
import RapportTestSupport
import Testing

/// `rapport query` and `rapport compile`, the real binary against the seeded tenant.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs scripts/test's PostgreSQL"))
struct QueryCLITests {
    @Test func queryPrintsATableAndProblemsWithTheirPlace() async throws {
        let database = try await TestDatabase.create()
        let url = ["--database-url", "postgres://\(database.url.username)@/\(database.url.database)?host=\(database.url.host)&port=\(database.url.port)"]
        let tenant = try await Store.withStore(.url(database.url), logger: TestDatabase.logger) { store in
            try await QuerySeed.seed(store)
        }
        let pro = try await RapportBinary.run(["query", "--tenant", tenant.slug, #"count profiles where plan = "pro""#] + url)
        #expect(pro.status == 0, "\(pro.stderr)")
        let lines = pro.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(Array(lines.prefix(2)) == ["count", "number"], "\(pro.stdout)")
        #expect(lines.last == "(1 row)")
        #expect(Int(lines[3]).map { $0 > 0 } == true, "\(pro.stdout)")

        // One table style and one set of formats for `rapport query` and the REPL (issue 16).
        let question = "profiles | select id, plan, email | order by id | limit 4"
        for format in ["table", "csv", "json", "ndjson"] {
            let query = try await RapportBinary.run(["query", "--tenant", tenant.slug, "--format", format, question] + url)
            let repl = try await RapportBinary.run(["repl", "--tenant", tenant.slug, "--format", format, "-c", question] + url)
            #expect(query.status == 0 && repl.status == 0, "\(query.stderr) \(repl.stderr)")
            #expect(query.stdout == repl.stdout && !query.stdout.isEmpty, "\(format):\n\(query.stdout)\n\(repl.stdout)")
        }

        // explain: the SQL once, each bind on a line of its own, in both.
        let explain = "explain count profiles where plan = \"pro\""
        for run in [try await RapportBinary.run(["query", "--tenant", tenant.slug, explain] + url),
                    try await RapportBinary.run(["repl", "--tenant", tenant.slug, "-c", "\\" + explain] + url)] {
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.components(separatedBy: "FROM profiles p").count == 2, "\(run.stdout)")
            #expect(run.stdout.contains("\n-- $1 = jsonb {\"plan\":\"pro\"}\n"), "\(run.stdout)")
        }

        // A result cut at the row cap says so and what to do.
        let capped = try await RapportBinary.run(["query", "--tenant", tenant.slug, "--row-cap", "2", "profiles | select id"] + url)
        #expect(capped.stdout.contains("(2 rows)\nThe result has more than these 2 rows: it was cut at the row cap."), "\(capped.stdout)")
        #expect(capped.stdout.contains("| limit N") && capped.stdout.contains("--row-cap"))

        // JSON on the command line: an empty array is `[]`, not three lines.
        let shown = try await RapportBinary.run(["profiles", "show", "--tenant", tenant.slug, "1"] + url)
        #expect(shown.status == 0 && shown.stdout.contains("\"groups\" : []"), "\(shown.stdout)")

        let json = try await RapportBinary.run(["query", "--tenant", tenant.slug, "--json", "profiles | select id, plan | limit 2"] + url)
        #expect(json.status == 0, "\(json.stderr)")
        #expect(json.stdout.contains("\"columns\""))

        let wrong = try await RapportBinary.run(["query", "--tenant", tenant.slug, "profiles\n| where contry = \"DE\""] + url)
        #expect(wrong.status == 2)
        #expect(wrong.stdout.isEmpty)
        #expect(wrong.stderr.contains("""
            error: unknown field `contry` (did you mean `country`?)
              --> 2:9
               |
             2 | | where contry = "DE"
               |         ^^^^^^
            """))

        let sql = try await RapportBinary.run(["compile", "--tenant", tenant.slug, "--stage", "sql", #"count profiles where plan = "pro""#] + url)
        #expect(sql.status == 0, "\(sql.stderr)")
        #expect(sql.stdout.contains(#"-- $1 = jsonb {"plan":"pro"}"#))
        #expect(sql.stdout.contains("FROM profiles p"))
        for stage in ["tokens", "ast", "typed"] {
            let output = try await RapportBinary.run(["compile", "--tenant", tenant.slug, "--stage", stage, "count profiles"] + url)
            #expect(output.status == 0, "\(stage): \(output.stderr)")
            #expect(!output.stdout.isEmpty)
        }
    }
}
