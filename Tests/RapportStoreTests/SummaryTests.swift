import Foundation
import PostgresNIO
import RapportQL
import RapportTestSupport
import Testing
@testable import RapportStore

/// The per-profile summaries (issue 18): after every kind of change to history (batches with
/// late and out-of-order events, merges, unmerges, erasures, a change of the value settings and
/// the rebuild it starts, a backfill from nothing with batches arriving between its steps), the
/// summaries equal what the raw events give, row for row; and every question the compiler
/// answers from them gives the answer it gives from the raw events.
@Suite struct SummaryTests {
    /// Questions whose summary-backed SQL must read `event_summaries` (so that the comparison
    /// is not raw against raw), then questions that read both or neither.
    static let summarised = [
        "profiles | select id, n = count(`Order Completed`), p = count(purchase), v = count(page), a = count(any), f = first(purchase), l = last(any) | order by id",
        "profiles | select id, c = count(`Caf\u{e9}`), d = count(`Cafe\u{301}`), f = first(`Cafe\u{301}`) | order by id",
        "profiles | select id, revenue, orders, first_order, last_order, cost, clv, recency | order by id",
        "profiles | select id, s = sum(`Order Completed`.revenue) | order by id",
        "profiles | select id, tier, rfm | order by id",
        "profiles | select id, n = count(`Order Completed`), s = sum(`Order Completed`.revenue) | order by s desc, n | limit 4",
        "profiles | select id, revenue, orders | order by orders desc, revenue | limit 3 offset 2",
        "profiles | group by rfm select n = count()",
        "count profiles where did purchase and not did Refund",
        "show tiers",
        "show pareto",
        "show retention by month",
        "show retention by week since 2024-03-01",
        "show retention by week",
        // A grouped join of profiles and the summaries.
        "profiles | where count(any) >= 3 and orders >= 1 | select id, n = count(page), f = first(any) | order by id",
        // Counted: the joined rows sorted by profile and grouped (several sources make several rows).
        "count profiles where plan = \"p1\" and count(any) >= 3 and sum(`Order Completed`.revenue) > 20",
        "count profiles where plan != \"p2\" and did purchase and count(any) >= 2",
        "count profiles where plan = \"p1\" and (count(purchase) >= 2 or not (count(Refund) > 0)) and count(any) >= 2",
    ]
    /// Questions whose aggregates the summaries answer in part: those from the summaries, the
    /// rest (a property filter) from the few events they read, joined by profile.
    static let mixed = [
        "profiles | select id, n = count(purchase), big = count(purchase where amount > 50), o = orders, f = first(any) | order by id",
        "count profiles where count(purchase) >= 1 and count(nps where score >= 9) >= 1",
        "show lifecycle",
        // Profiles on one side only (the browsers have no purchase; buyers may have no late page).
        "count profiles where count(purchase) = 0 and count(page since 2024-06-01) >= 1",
        "count profiles where count(purchase) >= 1 and count(page since 2024-06-01) = 0",
        "profiles | where count(page since 2024-06-01) = 0 | select id, n = count(purchase), o = orders, l = last_order | order by id",
        // Nulls from one side: an average, a first property, a text maximum, a window.
        "profiles | select id, p = count(purchase), big = count(purchase where amount > 50), a = avg(purchase.amount), fa = first(purchase).amount, m = max(`Product Viewed`.sku), v = count(page since 2024-06-01) | order by id",
        "profiles | select id, v = count(page), w = count(page where path = \"/\"), r = count(Refund) | order by id",
        // The network and the sources per profile from the summaries; the campaigns from the events.
        "show value chain",
    ]
    static let others = [
        // A grouped join of profiles and events: over the events as soon as one aggregate needs them.
        "profiles | where count(purchase) >= 2 and count(page since 2024-06-01) >= 1 | select id, n = count(any) | order by id",
        // Summarised while `purchase.amount` is purchase's whole revenue; not once `tax` is added.
        "profiles | select id, s = sum(purchase.amount) | order by id",
        "profiles | select id, big = count(purchase where amount > 50), m = max(purchase.amount) | order by id",
        // The cost flow names "é" composed; the decomposed event's tips are not its cost.
        "profiles | select id, s = sum(`Cafe\u{301}`.tip), t = sum(`Caf\u{e9}`.tip) | order by id",
        // Counted grouped joins with a `did` on the rows, inside the sorted subquery.
        "count profiles where plan = \"p1\" and count(any) >= 3 and not did Refund",
        "count profiles where plan = \"p1\" and did purchase and sum(`Order Completed`.revenue) > 20",
    ]
    /// Counts that must find someone, so that equal answers are not 0 = 0.
    static let nonzero = (summarised + others).filter { $0.hasPrefix("count profiles where plan") }

    @Test(.enabled(if: TestDatabase.isConfigured, "needs scripts/test's PostgreSQL"))
    func summariesStayExactThroughEverythingThatChangesHistory() async throws {
        try await withTestStore { store, _ in
            let tenant = try await store.createTenant(slug: uniqueSlug("sm"), name: nil, actor: "test")
            var histories = SummaryHistories(seed: 20_261_206)
            #expect(try await store.summaryStatus(tenant: tenant).ready, "a new tenant's summaries are ready at once")

            // Batches of every size, events late and out of order, merges on the way.
            for batch in histories.batches(count: 14) { try await Self.ingest(batch, store, tenant) }
            // A buyer whose clv is a zero written with more decimals than any other clv has: the
            // kept clv's index leaves it out, so the totals must not take their decimals from it.
            try await Self.ingest([#"{"type": "track", "event": "Order Completed", "userId": "zero-decimals", "properties": {"revenue": 0.000}, "messageId": "sm-zero", "timestamp": "2024-05-01T10:00:00Z"}"#],
                                  store, tenant)
            try await Self.expectExact(store, tenant, "after ingestion")
            let merges = try await Self.identifierMerges(store, tenant)
            #expect(merges.count >= 5, "the histories merge profiles (\(merges.count))")
            try await Self.expectSameAnswers(store, tenant, "after ingestion")
            let explained = try await store.query("explain count profiles where did purchase", tenant: tenant)
            #expect(explained.last?.reads == "per-profile summaries (event_summaries)")
            let anyEvent = try await store.query("explain count profiles where did any", tenant: tenant)
            #expect(anyEvent.last?.reads == "per-profile summaries (profile_summaries)", "\(anyEvent.last?.reads ?? "")")
            let windowed = try await store.query("explain count profiles where did purchase within 7 days", tenant: tenant)
            #expect(windowed.last?.reads == "raw events (the summaries do not answer this exactly)")
            // A report is explained too: what it reads, with its SQL.
            let tiers = try await store.query("explain show tiers", tenant: tenant)
            #expect(tiers.last?.reads == "per-profile summaries (profile_summaries)", "\(tiers.last?.reads ?? "")")
            let lifecycle = try await store.query("explain show lifecycle", tenant: tenant)
            #expect(lifecycle.last?.reads == "per-profile summaries (profile_summaries and event_summaries) and raw events",
                    "\(lifecycle.last?.reads ?? "")")
            let notAReport = try await store.validate("explain show segments", tenant: tenant)
            #expect(notAReport.first?.message.contains("a query or a report") == true, "\(notAReport.map(\.message))")

            // Unmerges, then more events for the same people (some merge again? blocked: they stay apart).
            for (survivor, merged) in merges.prefix(4) {
                _ = try await store.unmerge(survivor: survivor, merged: merged, tenant: tenant, actor: "test")
            }
            for batch in histories.batches(count: 4) { try await Self.ingest(batch, store, tenant) }
            try await Self.expectExact(store, tenant, "after unmerges")

            // Erasures: gone with the profile, and nothing else changed.
            for user in histories.erasable(3) {
                let filed = try await store.fileRequest(.erasure, subject: PrivacySubject(kind: "user_id", value: user), tenant: tenant, actor: "test")
                let done = try #require(try await store.runPrivacyRequest(filed.id))
                #expect(done.status == .completed, "\(done.error ?? "")")
            }
            try await Self.expectExact(store, tenant, "after erasures")
            try await Self.expectSameAnswers(store, tenant, "after erasures")

            // New value settings: raw answers until the rebuild is done, with batches between its steps.
            _ = try await store.query("set value revenue = purchase.amount, purchase.tax, `Order Completed`.revenue; set value cost = Refund.amount, `Caf\u{e9}`.tip",
                                      tenant: tenant)
            #expect(try await !store.summaryStatus(tenant: tenant).ready, "a change of the flows starts a rebuild")
            for question in Self.summarised {
                let reads = try await Self.reads(question, store, tenant)
                #expect(!reads.contains("summaries ("), "\(question) reads the raw events mid-rebuild: \(reads)")
            }
            let midway = try await store.query("explain count profiles where did purchase", tenant: tenant)
            #expect(midway.last?.reads?.hasPrefix("raw events (the summaries are being rebuilt: 0 of ") == true, "\(midway.last?.reads ?? "")")
            var steps = 0
            var pending = histories.batches(count: 6)
            while try await !store.advanceSummaries(tenant: tenant, chunk: 9) {
                steps += 1
                if !pending.isEmpty { try await Self.ingest(pending.removeFirst(), store, tenant) }
            }
            #expect(steps >= 3, "the rebuild went in steps (\(steps))")
            for batch in pending { try await Self.ingest(batch, store, tenant) }
            try await Self.expectExact(store, tenant, "after the rebuild")
            try await Self.expectSameAnswers(store, tenant, "after the rebuild")

            // A tenant from before the summaries: a backfill from nothing, merges between its steps.
            try await store.withTenant(tenant) { connection in
                try await connection.query("DELETE FROM event_summaries", logger: store.logger)
                try await connection.query("DELETE FROM profile_summaries", logger: store.logger)
                try await connection.query("DELETE FROM order_days", logger: store.logger)
                try await connection.query("UPDATE summary_state SET ready = false, flows = NULL, rebuilt_upto = 0, generation = generation + 1",
                                           logger: store.logger)
            }
            pending = histories.batches(count: 5)
            while try await !store.advanceSummaries(tenant: tenant, chunk: 13) {
                if !pending.isEmpty { try await Self.ingest(pending.removeFirst(), store, tenant) }
            }
            try await Self.expectExact(store, tenant, "after a backfill")
            try await Self.expectSameAnswers(store, tenant, "after a backfill")
        }
    }

    /// A rebuild writes every summary row again; it ends with the tables vacuumed and analysed,
    /// so their pages are known all-visible (index-only reads stay off the table) and the
    /// planner's statistics are of the new rows.
    @Test(.enabled(if: TestDatabase.isConfigured, "needs scripts/test's PostgreSQL"))
    func aRebuildEndsWithItsTablesVacuumed() async throws {
        try await withTestStore { store, _ in
            let tenant = try await store.createTenant(slug: uniqueSlug("sv"), name: nil, actor: "test")
            var histories = SummaryHistories(seed: 20_261_207)
            for batch in histories.batches(count: 6) { try await Self.ingest(batch, store, tenant) }
            _ = try await store.query("set value revenue = purchase.amount", tenant: tenant)
            #expect(try await !store.summaryStatus(tenant: tenant).ready)
            try await store.rebuildSummaries(tenant: tenant, chunk: 7)
            #expect(try await store.summaryStatus(tenant: tenant).ready)
            // ANALYZE counted the rows as they are now (a table never analysed has -1); VACUUM
            // marked pages all-visible (not every one: another open snapshot can hold some back).
            let stats = try await store.withTenant(tenant, readOnly: true) { connection in
                var stats: [String: (Double, Int64, Int32)] = [:]
                for table in Store.summaryTables {
                    for try await row in try await connection.query(PostgresQuery(unsafeSQL: """
                        SELECT c.reltuples::float8, (SELECT count(*) FROM \(table)), c.relallvisible FROM pg_class c
                        WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = '\(table)'
                        """), logger: store.logger).decode((Double, Int64, Int32).self) { stats[table] = row }
                }
                return stats
            }
            #expect(stats.count == 3)
            for (table, (estimated, rows, visible)) in stats {
                #expect(rows > 0 && estimated == Double(rows) && visible > 0, "\(table): \(estimated) rows estimated of \(rows), \(visible) pages all-visible")
            }
        }
    }

    /// A change of the value settings that commits while a step of a rebuild waits for it: the
    /// step goes on from the start with the new flows, never writes its progress over the
    /// restart (which would leave the profiles before it summarised with the old flows).
    @Test(.enabled(if: TestDatabase.isConfigured, "needs scripts/test's PostgreSQL"))
    func aSettingsChangeDuringARebuildStartsItOver() async throws {
        try await withTestStore { store, _ in
            let tenant = try await store.createTenant(slug: uniqueSlug("sr"), name: nil, actor: "test")
            var histories = SummaryHistories(seed: 7)
            for batch in histories.batches(count: 12) { try await Self.ingest(batch, store, tenant) }
            _ = try await store.query("set value cost = Refund.amount", tenant: tenant)
            #expect(try await !store.advanceSummaries(tenant: tenant, chunk: 9), "a first step of the rebuild")
            #expect(try await !store.advanceSummaries(tenant: tenant, chunk: 9), "a second step of the rebuild")

            let compiled = try await store.compile("set value cost = Refund.amount, `Caf\u{e9}`.tip", tenant: tenant)
            let step = try await store.withTenant(tenant) { connection in
                var budget = 1 << 20
                for statement in compiled.statements {
                    _ = try await Store.run(statement, now: Store.iso(Date()), options: QueryOptions(), budget: &budget,
                                            on: connection, logger: store.logger)
                }
                try await Store.refreshSummaryFlows(on: connection, logger: store.logger)
                // A step begins while the change is not yet committed, and waits for it.
                let step = Task { try await store.advanceSummaries(tenant: tenant, chunk: 9) }
                try await Task.sleep(for: .seconds(1))
                return step
            }
            #expect(try await step.value == false)
            try await store.rebuildSummaries(tenant: tenant, chunk: 9)
            try await Self.expectExact(store, tenant, "after a rebuild its settings changed under")
            try await Self.expectSameAnswers(store, tenant, "after a rebuild its settings changed under")
        }
    }

    /// A sync's audience reads the summaries where they answer it exactly, as a query does, and
    /// its members are the raw answer's: when the summaries are ready, and while a rebuild runs
    /// (then from the events).
    @Test(.enabled(if: TestDatabase.isConfigured, "needs scripts/test's PostgreSQL"))
    func aSyncsAudienceReadsTheSummariesAndHasTheRawAnswersMembers() async throws {
        try await withTestStore { store, _ in
            let tenant = try await store.createTenant(slug: uniqueSlug("ss"), name: nil, actor: "test")
            var histories = SummaryHistories(seed: 20_261_207)
            for batch in histories.batches(count: 10) { try await Self.ingest(batch, store, tenant) }
            _ = try await store.addDestination(name: "hook", kind: .webhook, url: "http://127.0.0.1:9/hook", writeKey: nil,
                                               settings: DestinationSettings(), allowPrivate: true, tenant: tenant, actor: "test")
            let audience = "profiles | where count(purchase) >= 1 and count(any) >= 3 | select n = count(purchase), revenue, l = last(any)"
            _ = try await store.query("sync buyers to hook = \(audience) manually", tenant: tenant)
            let compiled = try #require(RQL.audience(audience, catalog: try await store.catalog(tenant: tenant)).0)
            #expect(compiled.readsSummaries, "the audience reads the summaries: \(compiled.sql)")

            // S after a run, against the raw answer of the same question (fields as JSON values).
            func expectMembersAreTheRawAnswer(_ when: String) async throws {
                let state = try await store.withTenant(tenant) { connection in
                    var rows: [Int64: String] = [:]
                    for try await (id, fields) in try await connection.query("""
                        SELECT t.profile_id, (t.fields->>'n') || ' ' || (t.fields->>'revenue')::numeric::text || ' ' || (t.fields->>'l')
                        FROM sync_state t
                        """, logger: store.logger).decode((Int64, String).self) { rows[id] = fields }
                    return rows
                }
                let raw = try await store.query(audience.replacingOccurrences(of: "select n", with: "select id, n"), tenant: tenant,
                                                options: QueryOptions(), summaries: false)
                var expected: [Int64: String] = [:]
                for row in try #require(raw.last).rows {
                    let cells = row.map(\.display)
                    let stamp = cells[3].replacingOccurrences(of: " ", with: "T")
                    expected[Int64(cells[0])!] = "\(cells[1]) \(Decimal(string: cells[2])!) \(stamp)"
                }
                #expect(!expected.isEmpty, "\(when): the audience has members")
                #expect(Set(state.keys) == Set(expected.keys), "\(when): members")
                for (id, fields) in state where expected[id] != nil {
                    let parts = fields.split(separator: " ").map(String.init)
                    let want = expected[id]!.split(separator: " ").map(String.init)
                    #expect(parts[0] == want[0] && Decimal(string: parts[1]) == Decimal(string: want[1]) && parts[2].hasPrefix(String(want[2].prefix(19))),
                            "\(when): profile \(id): \(fields) against \(expected[id]!)")
                }
            }
            #expect(try await store.runSync("buyers", tenant: tenant).entered > 0)
            try await expectMembersAreTheRawAnswer("with the summaries ready")

            // Merges and new events, then a run: still the raw answer.
            for batch in histories.batches(count: 4) { try await Self.ingest(batch, store, tenant) }
            _ = try await store.runSync("buyers", tenant: tenant)
            try await expectMembersAreTheRawAnswer("after more events")

            // New value settings start a rebuild: the run reads the events meanwhile.
            _ = try await store.query("set value revenue = purchase.amount, purchase.tax, `Order Completed`.revenue", tenant: tenant)
            #expect(try await !store.summaryStatus(tenant: tenant).ready)
            let midway = try #require(RQL.audience(audience, catalog: try await store.catalog(tenant: tenant)).0)
            #expect(!midway.readsSummaries)
            for batch in histories.batches(count: 2) { try await Self.ingest(batch, store, tenant) }
            _ = try await store.runSync("buyers", tenant: tenant)
            try await expectMembersAreTheRawAnswer("during a rebuild")
            try await store.rebuildSummaries(tenant: tenant, chunk: 7)
            _ = try await store.runSync("buyers", tenant: tenant)
            try await expectMembersAreTheRawAnswer("after the rebuild")
        }
    }

    static func ingest(_ lines: [String], _ store: Store, _ tenant: Tenant) async throws {
        let receivedAt = Timestamp.now()
        // Several sources, and none: the value chain's acquiring source and sources per profile.
        let sources: [String?] = ["web", "ios", nil, "crm", "web"]
        let messages = try lines.enumerated().map { index, line in
            var message = try MessageReader.line(Array(line.utf8), receivedAt: receivedAt)
            message.source = sources[(index * 7 + lines.count) % sources.count]
            return message
        }
        let result = try await store.ingest(messages, tenant: tenant)
        guard result.accepted + result.suppressed == messages.count else {
            throw TestSetupError("a generated batch stored \(result.accepted) of \(messages.count) messages")
        }
    }

    static func identifierMerges(_ store: Store, _ tenant: Tenant) async throws -> [(Int64, Int64)] {
        try await store.withTenant(tenant, readOnly: true) { connection in
            var pairs: [(Int64, Int64)] = []
            for try await pair in try await connection.query("""
                SELECT m.survivor_id, m.merged_id FROM merges m JOIN profiles p ON p.id = m.merged_id
                WHERE m.reason = 'identifier' AND m.undone_at IS NULL AND p.merged_into = m.survivor_id ORDER BY m.id
                """, logger: store.logger).decode((Int64, Int64).self) { pairs.append(pair) }
            return pairs
        }
    }

    /// Rows of `truth` missing from `kept`, rows of `kept` not in `truth` (each counted as
    /// often as it is there), and the rows of `kept`: `ctes` defines both relations.
    static func differences(_ ctes: String, binds: PostgresBindings, on connection: PostgresConnection,
                            store: Store) async throws -> (missing: Int64, extra: Int64, kept: Int64) {
        var counts: (Int64, Int64, Int64) = (0, 0, 0)
        for try await row in try await connection.query(PostgresQuery(unsafeSQL: """
            WITH \(ctes)
            SELECT (SELECT count(*) FROM (SELECT * FROM truth EXCEPT ALL SELECT * FROM kept) a),
                   (SELECT count(*) FROM (SELECT * FROM kept EXCEPT ALL SELECT * FROM truth) b),
                   (SELECT count(*) FROM kept)
            """, binds: binds), logger: store.logger).decode((Int64, Int64, Int64).self) { counts = row }
        return counts
    }

    /// The summaries, row for row, against the same rows computed from the raw events with the
    /// flows the summaries hold; and each profile's own summary row against the sums of those.
    static func expectExact(_ store: Store, _ tenant: Tenant, _ when: String) async throws {
        let (missing, extra, rows) = try await store.withTenant(tenant, readOnly: true) { connection in
            let state = try await Store.summaryState(on: connection, logger: store.logger)
            #expect(state.ready, "the summaries are ready \(when)")
            var binds = PostgresBindings()
            let truth = Store.summarySelect(where: "true", flows: state.flows, binds: &binds)
            let columns = Store.summaryColumns
            return try await differences("truth (\(columns)) AS (\(truth)), kept AS (SELECT \(columns) FROM event_summaries)",
                                         binds: binds, on: connection, store: store)
        }
        #expect(missing == 0 && extra == 0, "\(when): \(missing) rows of the raw events' summaries missing, \(extra) kept that they do not give")
        #expect(rows > 50, "\(when): the summaries hold rows (\(rows))")
        try await expectProfileRowsExact(store, tenant, when)
        try await expectOrderDaysExact(store, tenant, when)
    }

    /// `order_days` against the orders by profile and UTC day of the raw events (a revenue event
    /// of the flows the summaries hold whose value, the sum of its flow properties that are
    /// numbers, is above 0), written here.
    static func expectOrderDaysExact(_ store: Store, _ tenant: Tenant, _ when: String) async throws {
        let (missing, extra, rows) = try await store.withTenant(tenant, readOnly: true) { connection in
            let flows = try await Store.summaryState(on: connection, logger: store.logger).flows?.revenue ?? []
            var binds = PostgresBindings()
            binds.append(flows.map { $0[0] })
            binds.append(flows.map { $0[1] })
            return try await differences("""
                f (event, property) AS (SELECT * FROM unnest($1::text[], $2::text[])),
                v AS (SELECT e.profile_id, e.ts,
                             (SELECT sum(CASE WHEN jsonb_typeof(e.props -> f.property) = 'number' THEN (e.props ->> f.property)::numeric END)
                              FROM f WHERE f.event = e.name) AS value
                      FROM events e WHERE e.type = 'track'),
                truth AS (SELECT profile_id, (ts AT TIME ZONE 'UTC')::date AS day, count(*) AS orders, min(ts) AS first_ts
                          FROM v WHERE value > 0 GROUP BY 1, 2),
                kept AS (SELECT profile_id, day, orders, first_ts FROM order_days)
                """, binds: binds, on: connection, store: store)
        }
        #expect(missing == 0 && extra == 0, "\(when): \(missing) order days of the raw events missing, \(extra) kept that they do not give")
        #expect(rows > 10, "\(when): order days are kept (\(rows))")
    }

    /// `profile_summaries` against the sums, per profile, of the summary rows the raw events give
    /// (written here, not taken from the store's statements), and none of a merged profile.
    static func expectProfileRowsExact(_ store: Store, _ tenant: Tenant, _ when: String) async throws {
        let (missing, extra, rows, merged, profiles) = try await store.withTenant(tenant, readOnly: true) { connection in
            let state = try await Store.summaryState(on: connection, logger: store.logger)
            var binds = PostgresBindings()
            let summaries = Store.summarySelect(where: "true", flows: state.flows, binds: &binds)
            let columns = "profile_id, events, first_ts, last_ts, first_message, first_source, revenue, orders, first_order, last_order, cost, sources"
            let (missing, extra, rows) = try await differences("""
                summaries (\(Store.summaryColumns)) AS (\(summaries)),
                first AS (SELECT DISTINCT ON (profile_id) profile_id, first_message, source FROM summaries
                          ORDER BY profile_id, first_ts, first_message COLLATE "C"),
                truth (\(columns)) AS (
                    SELECT t.profile_id, sum(t.events), min(t.first_ts), max(t.last_ts), f.first_message, f.source,
                           sum(t.revenue), sum(t.orders), min(t.first_order), max(t.last_order), sum(t.cost),
                           count(DISTINCT t.source) FILTER (WHERE t.source <> '')
                    FROM summaries t JOIN first f USING (profile_id) GROUP BY t.profile_id, f.first_message, f.source),
                kept AS (SELECT \(columns) FROM profile_summaries)
                """, binds: binds, on: connection, store: store)
            var counts: (Int64, Int64) = (0, 0)
            for try await row in try await connection.query("""
                SELECT (SELECT count(*) FROM profile_summaries k JOIN profiles p ON p.id = k.profile_id WHERE p.merged_into IS NOT NULL),
                       (SELECT count(*) FROM profiles WHERE merged_into IS NULL AND EXISTS (SELECT 1 FROM events e WHERE e.profile_id = profiles.id))
                """, logger: store.logger).decode((Int64, Int64).self) { counts = row }
            return (missing, extra, rows, counts.0, counts.1)
        }
        #expect(missing == 0 && extra == 0, "\(when): \(missing) profile rows of the raw events missing, \(extra) kept that they do not give")
        #expect(merged == 0, "\(when): \(merged) profile rows of merged profiles")
        #expect(rows == profiles && rows > 10, "\(when): a profile row for each of the \(profiles) live profiles with events (\(rows))")
    }

    /// What `question`'s compiled SQL reads of the events (as `explain` says it).
    static func reads(_ question: String, _ store: Store, _ tenant: Tenant) async throws -> String {
        let compilation = try await store.compile(question, tenant: tenant)
        guard case .query(let query)? = compilation.statements.last else { return "" }
        return query.eventSources.joined(separator: " and ")
    }

    /// Each question with the summaries and from the raw events alone: the same rows.
    static func expectSameAnswers(_ store: Store, _ tenant: Tenant, _ when: String) async throws {
        #expect(try await store.summaryStatus(tenant: tenant).ready)
        for question in summarised + mixed + others {
            let reads = try await reads(question, store, tenant)
            if summarised.contains(question) {
                #expect(reads.hasPrefix("per-profile summaries"), "\(question) reads \(reads)")
            }
            if mixed.contains(question) {
                #expect(reads.hasPrefix("per-profile summaries (") && reads.hasSuffix(") and raw events"), "\(question) reads \(reads)")
            }
            let options = QueryOptions(now: Date(timeIntervalSince1970: 1_735_000_000))
            let summarisedAnswer = try await store.query(question, tenant: tenant, options: options, summaries: true)
            let raw = try await store.query(question, tenant: tenant, options: options, summaries: false)
            let a = summarisedAnswer.map { $0.rows.map { $0.map(\.display) } }, b = raw.map { $0.rows.map { $0.map(\.display) } }
            #expect(a == b, "\(when): \(question)")
            #expect(!(b.last ?? []).isEmpty, "\(when): \(question) has rows")
            if nonzero.contains(question) { #expect(b.last?.first?.first != "0", "\(when): \(question) counts someone") }
        }
    }
}

/// Shopping histories for the summaries: each person has an anonymous id and a user id, whose
/// profiles merge when a message first carries both; events come in batches of random size,
/// with timestamps out of order and some weeks late. Values are numbers, strings (not a
/// value), missing, zero and negative.
struct SummaryHistories {
    var random: SplitMix
    var people: [(user: String, anonymous: String, linked: Bool)] = []
    var sent = 0
    var lastStamp = ""
    var lastIndex = 0

    init(seed: UInt64) {
        random = SplitMix(seed: seed)
        people = (0..<46).map { ("su\($0)", "sa\($0)", false) }
    }

    /// People to erase: linked ones, from the end of the list.
    func erasable(_ n: Int) -> [String] { people.filter(\.linked).suffix(n).map(\.user) }

    mutating func batches(count: Int) -> [[String]] {
        (0..<count).map { _ in
            (0..<Int(1 + random.next() % 40)).map { _ in message() }
        }
    }

    mutating func message() -> String {
        sent += 1
        // A fifth of the messages are of the person of the one before, at the same time: events
        // that tie on ts come in event order by message id, in byte order ("sm-10" before "sm-9").
        let tie = random.next() % 5 == 0 && !lastStamp.isEmpty
        let index = tie ? lastIndex : Int(random.next() % UInt64(people.count))
        lastIndex = index
        var person = people[index]
        // Who the message names: the anonymous id, the user id, or (once, then at times) both.
        let both = random.next() % 6 == 0
        var ids: [String] = []
        switch random.next() % 3 {
        case 0 where !both: ids.append("\"anonymousId\": \"\(person.anonymous)\"")
        case 1 where !both: ids.append("\"userId\": \"\(person.user)\"")
        default:
            ids.append("\"anonymousId\": \"\(person.anonymous)\"")
            ids.append("\"userId\": \"\(person.user)\"")
            person.linked = true
        }
        people[index] = person
        // Over 2024, out of order: any day, any second.
        let day = Int(random.next() % 300), second = Int(random.next() % 86_400)
        let date = Date(timeIntervalSince1970: 1_704_067_200 + Double(day * 86_400 + second))
        let stamp = tie ? lastStamp : ISO8601DateFormatter().string(from: date)
        lastStamp = stamp
        func amount() -> String {
            switch random.next() % 7 {
            case 0: return "\"n/a\""
            case 1: return "0"
            case 2: return "-\(random.next() % 50).5"
            default: return "\(random.next() % 300).\(random.next() % 100)"
            }
        }
        let body: String
        // The last six people only browse and answer surveys: no value events at all.
        let browses = index >= 40
        switch browses ? 9 + random.next() % 2 * 10 : random.next() % 10 {
        case 19: body = "\"type\": \"page\", \"name\": \"p\(random.next() % 4)\", \"properties\": {\"path\": \"/\"}"
        // One name twice: "é" composed, then decomposed. The database tells them apart, and so
        // must the summaries (Swift's string equality does not).
        case 7: body = "\"type\": \"track\", \"event\": \"Caf\\u00e9\", \"properties\": {\"tip\": \(amount())}"
        case 8: body = "\"type\": \"track\", \"event\": \"Cafe\\u0301\", \"properties\": {\"tip\": \(amount())}"
        case 0: body = "\"type\": \"page\", \"name\": \"p\(random.next() % 4)\", \"properties\": {\"path\": \"/\"}"
        case 1: body = "\"type\": \"track\", \"event\": \"Product Viewed\", \"properties\": {\"sku\": \"s\(random.next() % 9)\"}"
        case 2: body = "\"type\": \"track\", \"event\": \"Order Completed\", \"properties\": {\"revenue\": \(amount())}"
        case 3: body = "\"type\": \"track\", \"event\": \"purchase\", \"properties\": {\"amount\": \(amount()), \"tax\": \(amount())}"
        case 4: body = "\"type\": \"track\", \"event\": \"purchase\", \"properties\": {\"amount\": \(amount())}"
        case 5: body = "\"type\": \"track\", \"event\": \"Refund\", \"properties\": {\"amount\": \(amount())}"
        case 6: body = "\"type\": \"identify\", \"traits\": {\"plan\": \"p\(random.next() % 3)\"}"
        default:
            // The lifecycle's inspire stage: a referral, or an NPS score of 9 or more.
            switch random.next() % 4 {
            case 0: body = "\"type\": \"track\", \"event\": \"referral\""
            case 1: body = "\"type\": \"track\", \"event\": \"nps\", \"properties\": {\"score\": \(random.next() % 11)}"
            case 2 where browses: body = "\"type\": \"track\", \"event\": \"nps\", \"properties\": {\"score\": \(7 + random.next() % 4)}"
            default: body = "\"type\": \"track\", \"event\": \"Signed In\""
            }
        }
        return "{\(body), \(ids.joined(separator: ", ")), \"messageId\": \"sm-\(sent)\", \"timestamp\": \"\(stamp)\"}"
    }
}
