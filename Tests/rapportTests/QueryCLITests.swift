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
        let pro = try RapportBinary.run(["query", "--tenant", tenant.slug, #"count profiles where plan = "pro""#] + url)
        #expect(pro.status == 0, "\(pro.stderr)")
        let lines = pro.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.first == "count")
        #expect(lines.last == "(1 row)")
        #expect(Int(lines[2]).map { $0 > 0 } == true, "\(pro.stdout)")

        let json = try RapportBinary.run(["query", "--tenant", tenant.slug, "--json", "profiles | select id, plan | limit 2"] + url)
        #expect(json.status == 0, "\(json.stderr)")
        #expect(json.stdout.contains("\"columns\""))

        let wrong = try RapportBinary.run(["query", "--tenant", tenant.slug, "profiles\n| where contry = \"DE\""] + url)
        #expect(wrong.status == 2)
        #expect(wrong.stdout.isEmpty)
        #expect(wrong.stderr.contains("""
            error: unknown field `contry` (did you mean `country`?)
              --> 2:9
               |
             2 | | where contry = "DE"
               |         ^^^^^^
            """))

        let sql = try RapportBinary.run(["compile", "--tenant", tenant.slug, "--stage", "sql", #"count profiles where plan = "pro""#] + url)
        #expect(sql.status == 0, "\(sql.stderr)")
        #expect(sql.stdout.contains(#"-- $1 = jsonb {"plan":"pro"}"#))
        #expect(sql.stdout.contains("FROM profiles p"))
        for stage in ["tokens", "ast", "typed"] {
            let output = try RapportBinary.run(["compile", "--tenant", tenant.slug, "--stage", stage, "count profiles"] + url)
            #expect(output.status == 0, "\(stage): \(output.stderr)")
            #expect(!output.stdout.isEmpty)
        }
    }
}
