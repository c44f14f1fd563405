import Testing
@testable import RapportQL

/// The compiler's plan for a level: its shape follows from the typed level alone, and where
/// its aggregates are read follows from what they are (Sources/RapportQL/README.md).
struct LevelPlanTests {
    func firstLevel(_ text: String) throws -> (level: Level, source: TypedQuery.Source) {
        let (statements, diagnostics) = RQL.check(text, catalog: Fixtures.catalog)
        #expect(diagnostics.isEmpty, "\(diagnostics.map(\.message))")
        guard case .query(let query)?? = statements.first else { throw PlanTestError.notAQuery(text) }
        return (try #require(query.levels.first), query.source)
    }

    func shape(_ text: String) throws -> SQLWriter.LevelShape {
        let (level, source) = try firstLevel(text)
        return SQLWriter.LevelShape.of(level, first: true, source: source)
    }

    func sql(_ text: String, summaries: Bool, rowLimit: Int? = nil) throws -> String {
        var catalog = Fixtures.catalog
        if summaries { catalog.summaries = SummaryAvailability(revenue: ValueSettings.defaults.revenue, cost: ValueSettings.defaults.cost) }
        let (statements, diagnostics) = RQL.check(text, catalog: catalog)
        #expect(diagnostics.isEmpty, "\(diagnostics.map(\.message))")
        guard case .query(let query)?? = statements.first else { throw PlanTestError.notAQuery(text) }
        return SQLCompiler.compile(query, options: SQLCompiler.Options(rowLimit: rowLimit, summaries: catalog.summaries)).sql
    }

    @Test func eachShapeIsChosenFromTheTypedLevel() throws {
        #expect(try shape("count profiles where count(login) >= 2") == .countFromEvents)
        #expect(try shape("profiles | where company = \"Acme\" and count(login) >= 2") == .groupedJoin)
        #expect(try shape("profiles | where email = \"a@example.com\" | select id, count(login)") == .namedProfiles)
        #expect(try shape("profiles | where id in (1, 2) and count(login) >= 2") == .namedProfiles)
        #expect(try shape("profiles | select id, count(login)") == .rows)
        #expect(try shape("events | where name = \"login\" | count") == .rows)
        // `not did` joins a count from events only when the rest reads events within a window
        // (few); over all time the count stays with the profiles.
        #expect(try shape("count profiles where did login within 7 days and not did purchase within 7 days") == .countFromEvents)
        #expect(try shape("count profiles where did login and not did purchase within 7 days") == .rows)
        #expect(try shape("count profiles where count(login) >= 2 and not did purchase") == .groupedJoin)
        // `did` is a semi-join of its own, so it needs no grouped join.
        #expect(try shape("profiles | where company = \"Acme\" and did login") == .rows)
    }

    /// In a grouped join, a condition on an aggregate is on the group (HAVING) and the others
    /// on the row (WHERE); the aggregates are read in place, over the summaries only when they
    /// answer every one of the level's, over the events otherwise.
    @Test func aGroupedJoinReadsTheSummariesOnlyWhenTheyAnswerEveryAggregate() throws {
        let allTime = "profiles | where company = \"Acme\" and count(login) >= 2 and last(login).ts > 2024-01-01"
        let summarised = try sql(allTime, summaries: true)
        #expect(summarised.contains("JOIN event_summaries e ON e.profile_id = p.id"))
        #expect(!summarised.contains("JOIN events e"))
        #expect(summarised.contains("GROUP BY p.id"))
        #expect(summarised.contains("HAVING"))
        let having = try #require(summarised.range(of: "HAVING")).upperBound
        #expect(!summarised[having...].contains("traits"), "the trait condition is on the row")
        #expect(summarised[having...].contains("sum(e.events)"))

        // One aggregate with a window: the summaries cannot answer it, so none is read from them.
        let windowed = try sql(allTime + " and count(login within 30 days) >= 1", summaries: true)
        #expect(windowed.contains("JOIN events e ON e.profile_id = p.id"))
        #expect(!windowed.contains("event_summaries"))
        // Without summaries ready, the events.
        #expect(!(try sql(allTime, summaries: false)).contains("event_summaries"))
    }

    /// An events pass reads the events of a name once, even when another aggregate reads some
    /// of them (within a window): the narrower filter adds nothing to the pass's WHERE.
    @Test func aPassReadsTheNarrowerEventsOnce() throws {
        let text = "profiles | select id, count(login), count(login within 30 days)"
        let sql = try sql(text, summaries: false)
        let start = try #require(sql.range(of: "FROM events e WHERE ")).upperBound
        let end = try #require(sql.range(of: " GROUP BY e.profile_id", range: start..<sql.endIndex)).lowerBound
        #expect(sql[start..<end] == "e.type = 'track' AND e.name = $1")
    }

    /// Profiles ordered by aggregates alone, with a limit: the pass is read once (a CTE) and only
    /// the first rows of those with a row in it and of those without are read again. Not with
    /// `did` (the profiles without a pass row are then mostly none that pass), nor without a
    /// limit, nor when the order reads the profile.
    @Test func aTopByAggregatesReadsThePassOnceAndFewProfiles() throws {
        // Live profiles alone: the pass's rows in order, each looked up until there are enough.
        let top = try sql("profiles | select id, spent = sum(purchase.amount) | order by spent desc | limit 10 offset 5", summaries: false)
        #expect(top.hasPrefix("WITH ea AS MATERIALIZED (SELECT e.profile_id"))
        #expect(top.contains("FROM (SELECT ea.*, COALESCE(ea.a1, 0) AS k1 FROM ea ORDER BY k1 DESC NULLS LAST, ea.profile_id) ea "
                             + "CROSS JOIN LATERAL (SELECT 1 FROM profiles p WHERE p.id = ea.profile_id AND p.merged_into IS NULL LIMIT 1) live "
                             + "ORDER BY ea.k1 DESC NULLS LAST, ea.profile_id LIMIT 15)"))
        #expect(top.contains("WHERE ea.profile_id IS NULL AND p.merged_into IS NULL ORDER BY p.id LIMIT 15)"))
        #expect(top.hasSuffix("LIMIT 10 OFFSET 5"))
        // With a condition: the pass joined to the profiles that pass it.
        let pro = try sql("profiles | where company = \"Acme\" | select id, spent = sum(purchase.amount) | order by spent | limit 10", summaries: false)
        #expect(pro.contains("JOIN ea ON ea.profile_id = p.id WHERE p.merged_into IS NULL AND"))
        #expect(pro.contains("ORDER BY COALESCE(ea.a1, 0) NULLS LAST, p.id LIMIT 10) UNION ALL"))
        #expect(!pro.contains("LATERAL"))
        for plain in ["profiles | where did purchase | select id, spent = sum(purchase.amount) | order by spent desc | limit 10",
                      "profiles | select id, spent = sum(purchase.amount) | order by spent desc",
                      "profiles | select id, company, spent = sum(purchase.amount) | order by spent desc, company | limit 10",
                      "profiles | select id, company, spent = sum(purchase.amount) | order by company | limit 10",
                      "profiles | where sum(purchase.amount) > 0 | select id, spent = sum(purchase.amount) | order by spent desc | limit 10"] {
            #expect(!(try sql(plain, summaries: false)).contains("UNION ALL"), "\(plain)")
        }
        // A `did` on both sides of an `or` leaves no profile without a pass row either.
        #expect(!(try sql("profiles | where did purchase or did login | select id, spent = sum(purchase.amount) | order by spent desc | limit 10",
                          summaries: false)).contains("UNION ALL"))
        #expect(try sql("profiles | where did purchase or company = \"Acme\" | select id, spent = sum(purchase.amount) | order by spent desc | limit 10",
                        summaries: false).contains("UNION ALL"))
        // The executor's row cap is not a limit of the query's own.
        #expect(!(try sql("profiles | select id, spent = sum(purchase.amount) | order by spent desc", summaries: false, rowLimit: 10_001))
            .contains("UNION ALL"))
    }

    /// A grouped join reads only events of the condition's `did E` when that is all it reads:
    /// every group then has one, and the semi-join is left out; with other events joined, it stays.
    @Test func aGroupedJoinLeavesOutTheDidItImplies() throws {
        for summaries in [false, true] {
            let implied = try sql("profiles | where company = \"Acme\" and did purchase and sum(purchase.amount) > 10 | count", summaries: summaries)
            #expect(implied.contains("GROUP BY p.id"))
            #expect(!implied.contains("EXISTS"), "\(implied)")
            let other = try sql("profiles | where company = \"Acme\" and did login and sum(purchase.amount) > 10 | count", summaries: summaries)
            #expect(other.contains("AND EXISTS (SELECT 1 FROM"), "\(other)")
            let windowed = try sql("profiles | where company = \"Acme\" and did purchase within 7 days and sum(purchase.amount) > 10 | count",
                                   summaries: summaries)
            #expect(windowed.contains("AND EXISTS (SELECT 1 FROM events e"), "\(windowed)")
        }
    }
}

enum PlanTestError: Error { case notAQuery(String) }
