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
        // A pass of the summaries alone holds live profiles alone: its first rows in order, no lookup.
        for text in ["profiles | select id, n = count(login) | order by n desc | limit 10 offset 5",
                     "profiles | select id, revenue | order by revenue desc | limit 10 offset 5"] {
            let summarised = try sql(text, summaries: true)
            #expect(!summarised.contains("LATERAL") && summarised.contains("ORDER BY COALESCE(ea.a1, 0) DESC NULLS LAST, ea.profile_id LIMIT 15) UNION ALL"),
                    "\(summarised)")
            #expect(summarised.contains("WHERE ea.profile_id IS NULL AND p.merged_into IS NULL ORDER BY p.id LIMIT 15)"))
        }
        // Part of it from the events: looked up.
        #expect(try sql("profiles | select id, n = count(login within 7 days) | order by n desc | limit 10", summaries: true)
            .contains("CROSS JOIN LATERAL (SELECT 1 FROM profiles p WHERE p.id = ea.profile_id AND p.merged_into IS NULL LIMIT 1) live"))
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
            #expect(implied.contains(summaries ? "GROUP BY e.pid" : "GROUP BY p.id"), "\(implied)")
            #expect(!implied.contains("EXISTS"), "\(implied)")
            let other = try sql("profiles | where company = \"Acme\" and did login and sum(purchase.amount) > 10 | count", summaries: summaries)
            #expect(other.contains("AND EXISTS (SELECT 1 FROM"), "\(other)")
            let windowed = try sql("profiles | where company = \"Acme\" and did purchase within 7 days and sum(purchase.amount) > 10 | count",
                                   summaries: summaries)
            #expect(windowed.contains("AND EXISTS (SELECT 1 FROM events e"), "\(windowed)")
        }
    }

    /// A count of a grouped join over the summaries groups the joined rows sorted by profile (a
    /// subquery of their own, kept by OFFSET 0), not where they are joined; only when every
    /// condition on the group reads the summaries alone. Over the events, when the group's
    /// condition reads the profile or a value field, when it lists rows, it groups in place.
    @Test func aCountedGroupedJoinGroupsSortedRows() throws {
        let sorted = "FROM (SELECT p.id AS pid, e.* FROM profiles p JOIN event_summaries e ON e.profile_id = p.id"
        let counted = "count profiles where company = \"Acme\" and sum(purchase.amount) > 10 and count(login) >= 2"
        let summarised = try sql(counted, summaries: true)
        #expect(summarised.contains(sorted), "\(summarised)")
        #expect(summarised.contains("ORDER BY p.id OFFSET 0) e\nGROUP BY e.pid\nHAVING"), "\(summarised)")
        // The trait condition is on the rows, inside; the group's on the sums, outside.
        let inside = try #require(summarised.range(of: sorted)).upperBound
        let outside = try #require(summarised.range(of: "OFFSET 0) e")).upperBound
        #expect(summarised[inside..<outside].contains("traits") && !summarised[outside...].contains("traits"), "\(summarised)")
        #expect(summarised[outside...].contains("sum(e.events)"), "\(summarised)")
        #expect(summarised.hasPrefix("SELECT count(*)::text AS c1"), "\(summarised)")
        for inPlace in ["count profiles where company = \"Acme\" and count(login) >= 2 and count(login) > seats",
                        "count profiles where company = \"Acme\" and count(login) >= 2 and revenue > 5",
                        "count profiles where company = \"Acme\" and count(login) >= 2 and (count(login) > 5 or plan = \"pro\")",
                        "profiles | where company = \"Acme\" and count(login) >= 2 | select id"] {
            let text = try sql(inPlace, summaries: true)
            #expect(!text.contains("e.pid") && text.contains("GROUP BY p.id"), "\(inPlace): \(text)")
        }
        let raw = try sql(counted, summaries: false)
        #expect(!raw.contains("e.pid") && raw.contains("JOIN events e ON e.profile_id = p.id") && raw.contains("GROUP BY p.id"), "\(raw)")
    }

    /// Profiles grouped by the ranking alone are the ranking's rows: with rfm alone, the
    /// customers' scores and, for the other live profiles, rows of nulls as many as counted; the
    /// profiles are not read and joined. Anything else of the profile keeps the join.
    @Test func aGroupingByTheRankingAloneReadsNoProfiles() throws {
        for summaries in [true, false] {
            let rfm = try sql("profiles | group by rfm select n = count() | order by n desc", summaries: summaries)
            #expect(!rfm.contains("FROM profiles p") && !rfm.contains("ON vr.profile_id = p.id"), "\(rfm)")
            #expect(rfm.contains("UNION ALL SELECT NULL, NULL FROM generate_series(1, ((SELECT count(*) FROM profiles) - (SELECT count(*) FROM profiles WHERE merged_into IS NOT NULL)) - (SELECT n FROM rfm_k))"), "\(rfm)")
            #expect(rfm.contains("percentile_disc((SELECT p FROM rfm_k)) WITHIN GROUP (ORDER BY v.c3) AS r"))
            #expect(!rfm.contains("rank() OVER"), "rfm alone needs no ranking window")
            let tier = try sql("profiles | group by tier select n = count(), share = count() / 10", summaries: summaries)
            #expect(!tier.contains("ON vr.profile_id = p.id") && tier.contains("row_number() OVER (ORDER BY q.c2 DESC, q.c1)"), "\(tier)")
            #expect(tier.contains("FROM (SELECT v.c1 AS profile_id, (ARRAY["), "\(tier)")
            for joined in ["profiles | where plan = \"pro\" | group by rfm select n = count()",
                           "profiles | group by rfm select n = count(), r = sum(revenue)",
                           "profiles | group by rfm, plan select n = count()",
                           "profiles | group by rfm select n = count(id)",
                           "profiles | select id, rfm"] {
                let text = try sql(joined, summaries: summaries)
                #expect(text.contains("LEFT JOIN (WITH rfm_c AS MATERIALIZED") && text.contains(") vr ON vr.profile_id = p.id"), "\(joined)")
                #expect(!text.contains("generate_series"), "\(joined)")
            }
        }
    }
}

enum PlanTestError: Error { case notAQuery(String) }

/// The value reports and the lifecycle with the profiles' own summary rows (`profile_summaries`,
/// one per live profile with events): what they read, and where they fall back.
struct ProfileSummaryPlanTests {
    func report(_ text: String, definitions: [Definition] = [], summaries: Bool = true) throws -> CompiledQuery {
        var catalog = Fixtures.catalog(with: definitions)
        if summaries { catalog.summaries = SummaryAvailability(revenue: ValueSettings.defaults.revenue, cost: ValueSettings.defaults.cost) }
        let (statements, diagnostics) = RQL.check(text, catalog: catalog)
        #expect(diagnostics.isEmpty, "\(diagnostics.map(\.message))")
        guard case .report(let report)?? = statements.first else { throw PlanTestError.notAQuery(text) }
        let compiled = SQLCompiler.compile(report, summaries: catalog.summaries)
        // No placeholder is without its bind (a plan tried and dropped must not renumber them).
        let used = Set(compiled.sql.matches(of: /\$([0-9]+)/).compactMap { Int(String($0.1)) })
        #expect(!used.isEmpty && used.isSubset(of: Set(1...max(compiled.binds.count, 1))), "\(text): binds \(compiled.binds.count), used \(used.sorted())")
        return compiled
    }

    /// The ranking by clv reads each profile's kept clv in the order of its index (no sort, no
    /// check that the profile is live: the rows are of live profiles alone), and the rows with a
    /// value from the same table; the tier of a rank is found against whole ranks.
    @Test func theRankingReadsTheKeptValueInIndexOrder() throws {
        for text in ["show tiers", "show pareto", "show value chain"] {
            let sql = try report(text).sql
            #expect(sql.contains("FROM profile_summaries v, k WHERE v.value <> 0"), "\(text)")
            #expect(sql.contains("row_number() OVER (ORDER BY v.value DESC, v.profile_id)"), "\(text)")
            // k counts and sums the same index's entries; only the value chain, which counts the
            // customers too, reads the flows' rows (`c`).
            #expect(sql.contains("count(*) FILTER (WHERE v.value > 0) AS p") && sql.contains("COALESCE(sum(v.value), 0) AS total FROM profile_summaries v WHERE v.value <> 0) s"), "\(text)")
            #expect(sql.contains("FROM profile_summaries v WHERE v.revenue IS NOT NULL OR v.cost IS NOT NULL") == (text == "show value chain"), "\(text)")
            #expect(sql.contains("WITH c AS MATERIALIZED") == (text == "show value chain"), "\(text)")
            #expect(!sql.contains("FROM event_summaries e WHERE e.type = 'track' AND e.name IN"), "\(text): the flows' summaries grouped")
        }
        #expect(try report("show tiers").sql.contains("CASE WHEN r.rn <= r.b1 THEN 0 WHEN r.rn <= r.b2 THEN 1"))
        // Raw events: the clv of each profile with flow events, ranked by a sort.
        let raw = try report("show tiers", summaries: false).sql
        #expect(!raw.contains("profile_summaries"))
        #expect(raw.contains("row_number() OVER (ORDER BY c.c2 DESC, c.c1)"))
        #expect(raw.contains("COALESCE(sum(c.c2), 0) AS total FROM c WHERE c.c2 <> 0) s"), "the zeros are counted as z, not summed")
        // A discount: the kept value is not the clv.
        let discounted = try report("show tiers", definitions: [Definition(kind: .setting, name: "value.discount", source: "10%")]).sql
        #expect(!discounted.contains("v.value"))
        // The acquiring source of each profile is its row's first source; its sources are counted there.
        let chain = try report("show value chain").sql
        #expect(chain.contains("FROM profile_summaries v LEFT JOIN c ON c.c1 = v.profile_id GROUP BY 1"))
        #expect(chain.contains("UNION ALL SELECT NULL, ((SELECT count(*) FROM profiles) - "), "the profiles without events are counted")
        #expect(chain.contains("SELECT COALESCE(sum(v.sources), 0) FROM profile_summaries v"))
        #expect(!chain.contains("DISTINCT ON") && !chain.contains("DISTINCT s.profile_id"), "the summaries are not read per source")
    }

    /// Retention's orders by period from the orders by day the summaries keep, while they hold
    /// the settings' revenue flows (a discount changes nothing there); else from the events.
    @Test func retentionReadsTheOrdersByDay() throws {
        for text in ["show retention by month", "show retention by week since 2024-01-01"] {
            let sql = try report(text).sql
            #expect(sql.contains("FROM order_days o GROUP BY 1, 2"), "\(text)")
            #expect(!sql.contains("FROM events"), "\(text)")
            // Without `since` nothing reads an order's time: the periods are the days' (the key).
            let byDay = "date_trunc('\(text.contains("week") ? "week" : "month")', o.day::timestamp) AT TIME ZONE 'UTC' AS period FROM order_days"
            #expect(sql.contains(byDay) == !text.contains("since"), "\(text)")
            #expect(sql.contains("min(o.first_ts) AS first") == text.contains("since"), "\(text)")
        }
        #expect(try report("show retention by month", definitions: [Definition(kind: .setting, name: "value.discount", source: "10%")]).sql
            .contains("FROM order_days"))
        let otherFlows = [Definition(kind: .setting, name: "value.revenue", source: "purchase.amount")]
        #expect(try report("show retention by month", definitions: otherFlows).sql.contains("FROM events e"))
        #expect(try report("show retention by month", summaries: false).sql.contains("FROM events e"))
    }

    /// Stages from the pass alone (no read of the profiles) only when every rule fails without
    /// events; else, and with a breakdown, every live profile is read.
    @Test func stagesComeFromThePassAloneOnlyWhenEveryRuleNeedsEvents() throws {
        let defaults = try report("show lifecycle").sql
        #expect(!defaults.contains("FROM profiles p"))
        #expect(defaults.contains("SELECT ea.profile_id AS c1"))
        #expect(defaults.contains("v.events AS"), "reach (did any) is a column of the profile's own row")
        #expect(!defaults.contains("EXISTS"))
        #expect(try report("show lifecycle by plan").sql.contains("FROM profiles p"))
        #expect(try report("show lifecycle", summaries: false).sql.contains("FROM profiles p"))
        // A rule a profile without events can meet.
        let trait = [Definition(kind: .stage, name: "stage.acquisition", source: "plan = \"pro\"")]
        #expect(try report("show lifecycle", definitions: trait).sql.contains("FROM profiles p"))
        let zero = [Definition(kind: .stage, name: "stage.development", source: "orders < 2")]
        #expect(try report("show lifecycle", definitions: zero).sql.contains("FROM profiles p"))
        // Rules that all need events, one of them within a window (read from the events).
        let windowed = [Definition(kind: .stage, name: "stage.retention", source: "did purchase within 90 days and first_order < now - 180 days")]
        let mixed = try report("show lifecycle", definitions: windowed).sql
        #expect(!mixed.contains("FROM profiles p"))
        #expect(mixed.contains("FROM events e"))
        // A rule over every event with a property filter: the pass is over the raw events, so
        // the profiles are read.
        let everyEvent = [Definition(kind: .stage, name: "stage.inspire", source: "count(any where score >= 9) > 0")]
        #expect(try report("show lifecycle", definitions: everyEvent).sql.contains("FROM profiles p"))
    }
}
