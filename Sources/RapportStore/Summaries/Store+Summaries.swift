import Foundation
import Logging
import PostgresNIO
import RapportQL

/// The revenue and cost flows the per-profile summaries hold, as `summary_state.flows` keeps
/// them: `{"revenue": [["Order Completed", "revenue"]], "cost": []}`.
struct SummaryFlows: Codable, Equatable, Sendable {
    var revenue: [[String]]
    var cost: [[String]]

    /// The same flows: names compared byte for byte, as the database compares them.
    static func == (a: SummaryFlows, b: SummaryFlows) -> Bool {
        func same(_ x: [[String]], _ y: [[String]]) -> Bool {
            x.count == y.count && zip(x, y).allSatisfy { p, q in p.count == q.count && zip(p, q).allSatisfy { $0.sameBytes(as: $1) } }
        }
        return same(a.revenue, b.revenue) && same(a.cost, b.cost)
    }

    init(_ settings: ValueSettings) {
        revenue = settings.revenue.map { [$0.event, $0.property] }
        cost = settings.cost.map { [$0.event, $0.property] }
    }

    static func flows(_ pairs: [[String]]) -> [ValueSettings.Flow] {
        pairs.compactMap { $0.count == 2 ? ValueSettings.Flow(event: $0[0], property: $0[1]) : nil }
    }

    /// Each flow event's properties, in the order the settings name them.
    static func byEvent(_ pairs: [[String]]) -> [(event: String, properties: [String])] {
        var out: [(event: String, properties: [String])] = []
        for flow in flows(pairs) {
            if let index = out.firstIndex(where: { $0.event.sameBytes(as: flow.event) }) {
                out[index].properties.append(flow.property)
            } else {
                out.append((flow.event, [flow.property]))
            }
        }
        return out
    }

    var json: String { String(decoding: (try? JSONEncoder().encode(self)) ?? Data("{}".utf8), as: UTF8.self) }
}

/// `summary_state`'s row.
struct SummaryState: Sendable {
    var flows: SummaryFlows?
    var ready: Bool
    var generation: Int64
    var rebuiltUpto: Int64

    /// What the compiler may read: the summaries and their flows, while they are ready.
    var availability: SummaryAvailability? {
        guard ready, let flows else { return nil }
        return SummaryAvailability(revenue: SummaryFlows.flows(flows.revenue), cost: SummaryFlows.flows(flows.cost), generation: generation)
    }
}

/// How far a tenant's summaries are: ready, or rebuilt up to a share of the profiles.
public struct SummaryStatus: Sendable, Encodable, Equatable {
    public var ready: Bool
    public var generation: Int64
    /// Of the profiles, those whose summaries are rebuilt (all of them when ready).
    public var profilesDone: Int64
    public var profiles: Int64

    enum CodingKeys: String, CodingKey {
        case ready, generation, profiles
        case profilesDone = "profiles_done"
    }
}

extension Store {
    /// The columns a summary row has, in the order the statements below write them.
    static let summaryColumns = "profile_id, type, name, source, events, first_ts, last_ts, revenue, orders, first_order, last_order, cost, first_message"

    /// How a summary row takes in another of the same profile, event and source: counts and
    /// sums added (a sum that is null, no value seen, adds nothing), the earliest first, the
    /// latest last; the first message is that of the earlier first event in event order (ts,
    /// then message id in byte order).
    static let summaryCombine = """
        ON CONFLICT (profile_id, type, name, source) DO UPDATE SET
            first_message = CASE WHEN excluded.first_ts < event_summaries.first_ts
                                   OR (excluded.first_ts = event_summaries.first_ts
                                       AND excluded.first_message COLLATE "C" < event_summaries.first_message COLLATE "C")
                                 THEN excluded.first_message ELSE event_summaries.first_message END,
            events = event_summaries.events + excluded.events,
            first_ts = least(event_summaries.first_ts, excluded.first_ts),
            last_ts = greatest(event_summaries.last_ts, excluded.last_ts),
            revenue = coalesce(event_summaries.revenue + excluded.revenue, event_summaries.revenue, excluded.revenue),
            orders = event_summaries.orders + excluded.orders,
            first_order = least(event_summaries.first_order, excluded.first_order),
            last_order = greatest(event_summaries.last_order, excluded.last_order),
            cost = coalesce(event_summaries.cost + excluded.cost, event_summaries.cost, excluded.cost)
        """

    /// The columns of a profile's row of `profile_summaries` (tenant/0016), in the order the
    /// statements below write them.
    static let profileSummaryColumns =
        "profile_id, events, first_ts, last_ts, first_message, first_source, revenue, orders, first_order, last_order, cost, sources"

    /// The `profile_summaries` rows of the summary rows in `rows` (a relation aliased `s` with
    /// `event_summaries`' columns), one per profile: the sums of the counts and values, the
    /// earliest firsts and latest lasts, the message and source of the earliest first event in
    /// event order, and how many distinct sources.
    static func profileSummaryRows(from rows: String) -> String {
        """
        SELECT s.profile_id, sum(s.events), min(s.first_ts), max(s.last_ts),
               (array_agg(s.first_message ORDER BY s.first_ts, s.first_message COLLATE "C"))[1],
               (array_agg(s.source ORDER BY s.first_ts, s.first_message COLLATE "C"))[1],
               sum(s.revenue), sum(s.orders), min(s.first_order), max(s.last_order), sum(s.cost),
               count(DISTINCT s.source) FILTER (WHERE s.source <> '')
        FROM \(rows)
        GROUP BY 1
        """
    }

    /// Per profile of a batch's summary rows `g`, how many of their sources it already has
    /// summary rows of: a CTE of the batch's statement, so read in its snapshot, before the
    /// batch's rows are in. (The pairs found are a CTE of their own, materialized: Citus 13.2
    /// sends the same subquery joined inline, or a `NOT EXISTS` in an aggregate's FILTER, to
    /// the worker malformed.)
    static let batchKnownSources = """
        pairs AS MATERIALIZED (SELECT DISTINCT k.profile_id, k.source FROM event_summaries k
                               JOIN (SELECT DISTINCT profile_id, source FROM g WHERE source <> '') b
                                 ON b.profile_id = k.profile_id AND b.source = k.source),
        known AS MATERIALIZED (SELECT profile_id, count(*) AS sources FROM pairs GROUP BY 1)
        """

    /// How a profile's row takes in a batch's (as `summaryCombine` does a summary row's; the
    /// batch's sources are those new to the profile).
    static let profileSummaryCombine = """
        ON CONFLICT (profile_id) DO UPDATE SET
            (first_message, first_source) =
                (SELECT CASE WHEN newer THEN excluded.first_message ELSE profile_summaries.first_message END,
                        CASE WHEN newer THEN excluded.first_source ELSE profile_summaries.first_source END
                 FROM (SELECT excluded.first_ts < profile_summaries.first_ts
                              OR (excluded.first_ts = profile_summaries.first_ts
                                  AND excluded.first_message COLLATE "C" < profile_summaries.first_message COLLATE "C") AS newer) x),
            events = profile_summaries.events + excluded.events,
            first_ts = least(profile_summaries.first_ts, excluded.first_ts),
            last_ts = greatest(profile_summaries.last_ts, excluded.last_ts),
            revenue = coalesce(profile_summaries.revenue + excluded.revenue, profile_summaries.revenue, excluded.revenue),
            orders = profile_summaries.orders + excluded.orders,
            first_order = least(profile_summaries.first_order, excluded.first_order),
            last_order = greatest(profile_summaries.last_order, excluded.last_order),
            cost = coalesce(profile_summaries.cost + excluded.cost, profile_summaries.cost, excluded.cost),
            sources = profile_summaries.sources + excluded.sources
        """

    /// Recomputes from their summaries the `profile_summaries` rows of the profiles `selected`
    /// picks (a condition on the profile id column it is given).
    static func recomputeProfileSummaries(_ selected: (String) -> String, binds: PostgresBindings,
                                          on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(PostgresQuery(unsafeSQL: "DELETE FROM profile_summaries WHERE " + selected("profile_id"), binds: binds), logger: logger)
        try await connection.query(PostgresQuery(unsafeSQL: "INSERT INTO profile_summaries (\(profileSummaryColumns))\n"
            + profileSummaryRows(from: "event_summaries s WHERE " + selected("s.profile_id")),
            binds: binds), logger: logger)
    }

    /// `summary_state`'s row; `locking` it until the transaction ends, for a step of a rebuild
    /// or a change of the flows, so that neither writes over the other.
    static func summaryState(on connection: PostgresConnection, locking: Bool = false, logger: Logger) async throws -> SummaryState {
        for try await (flows, ready, generation, upto) in try await connection.query(PostgresQuery(
            unsafeSQL: "SELECT flows::text, ready, generation, rebuilt_upto FROM summary_state" + (locking ? " FOR UPDATE" : "")), logger: logger
        ).decode((String?, Bool, Int64, Int64).self) {
            let decoded = flows.flatMap { try? JSONDecoder().decode(SummaryFlows.self, from: Data($0.utf8)) }
            return SummaryState(flows: decoded, ready: ready && decoded != nil, generation: generation, rebuiltUpto: upto)
        }
        throw StoreError.invalidInput("The tenant's summary_state row is missing.")
    }

    /// `explain`'s account of what `query` reads of the events.
    static func summaryReads(_ query: CompiledQuery, on connection: PostgresConnection, logger: Logger) async throws -> String {
        let sources = query.eventSources
        guard !sources.isEmpty else { return "no events" }
        var text = sources.joined(separator: " and ")
        if !sources.contains(where: { $0.hasPrefix("per-profile") }) {
            let state = try await summaryState(on: connection, logger: logger)
            if state.ready {
                text += " (the summaries do not answer this exactly)"
            } else {
                var done: Int64 = 0, all: Int64 = 0
                for try await (d, a) in try await connection.query("""
                    SELECT count(*) FILTER (WHERE id <= \(state.rebuiltUpto)), count(*) FROM profiles
                    """, logger: logger).decode((Int64, Int64).self) { (done, all) = (d, a) }
                text += " (the summaries are being rebuilt: \(done) of \(all) profiles done)"
            }
        }
        return text
    }

    /// The SQL that computes the summary rows of the events `condition` selects (a condition on
    /// `e`), with `flows`' revenue and cost values; binds are appended to `binds`.
    static func summarySelect(where condition: String, flows: SummaryFlows?, binds: inout PostgresBindings) -> String {
        let revenue = flowValue(flows?.revenue ?? [], binds: &binds), cost = flowValue(flows?.cost ?? [], binds: &binds)
        return """
            SELECT profile_id, type, name, source, count(*), min(ts), max(ts), sum(rv), count(*) FILTER (WHERE rv > 0),
                   min(ts) FILTER (WHERE rv > 0), max(ts) FILTER (WHERE rv > 0), sum(cv),
                   (array_agg(message_id ORDER BY ts, message_id COLLATE "C"))[1]
            FROM (SELECT e.profile_id, e.type, CASE WHEN e.type = 'track' THEN coalesce(e.name, '') ELSE '' END AS name,
                         coalesce(e.source, '') AS source, e.ts, e.message_id, \(revenue) AS rv, \(cost) AS cv
                  FROM events e WHERE \(condition)) x
            GROUP BY 1, 2, 3, 4
            """
    }

    /// How a row of `order_days` takes in more orders of the same profile and day.
    static let orderDaysCombine = """
        ON CONFLICT (profile_id, day) DO UPDATE SET
            orders = order_days.orders + excluded.orders, first_ts = least(order_days.first_ts, excluded.first_ts)
        """

    /// The value of an event `e` in the flows `pairs` (null when it is none of their events, or
    /// none of its flow properties is a number); binds are appended to `binds`.
    static func flowValue(_ pairs: [[String]], binds: inout PostgresBindings) -> String {
        let events = SummaryFlows.byEvent(pairs)
        guard !events.isEmpty else { return "NULL::numeric" }
        let cases = events.map { event, properties -> String in
            binds.append(event)
            let name = "$\(binds.count)"
            let numbers = properties.map { property -> String in
                binds.append(property)
                let key = "$\(binds.count)::text"
                return "(CASE WHEN jsonb_typeof(e.props -> \(key)) = 'number' THEN (e.props ->> \(key))::numeric END)"
            }
            let sum = numbers.count == 1 ? numbers[0]
                : "(CASE WHEN " + numbers.map { "\($0) IS NULL" }.joined(separator: " AND ") + " THEN NULL ELSE "
                    + numbers.map { "COALESCE(\($0), 0)" }.joined(separator: " + ") + " END)"
            return "WHEN e.name = \(name)::text THEN \(sum)"
        }
        return "(CASE WHEN e.type = 'track' THEN CASE " + cases.joined(separator: " ") + " END END)"
    }

    /// The `order_days` rows (tenant/0017) of the events `condition` selects (a condition on
    /// `e`): per profile and UTC day, its orders (revenue events of `flows` whose value is above
    /// 0) and the first one's time; binds are appended to `binds`.
    static func orderDaySelect(where condition: String, flows: SummaryFlows?, binds: inout PostgresBindings) -> String {
        let revenue = flowValue(flows?.revenue ?? [], binds: &binds)
        return """
            SELECT e.profile_id, (e.ts AT TIME ZONE 'UTC')::date, count(*), min(e.ts)
            FROM events e WHERE (\(condition)) AND \(revenue) > 0
            GROUP BY 1, 2
            """
    }

    /// Recomputes from their events the orders by day of the profiles `selected` picks (a
    /// condition on the profile id column it is given; `$1`… are `binds`).
    static func recomputeOrderDays(_ selected: (String) -> String, binds: PostgresBindings, flows: SummaryFlows?,
                                   on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(PostgresQuery(unsafeSQL: "DELETE FROM order_days WHERE " + selected("profile_id"), binds: binds), logger: logger)
        var all = binds
        let select = orderDaySelect(where: selected("e.profile_id"), flows: flows, binds: &all)
        try await connection.query(PostgresQuery(unsafeSQL: "INSERT INTO order_days (profile_id, day, orders, first_ts)\n" + select, binds: all),
                                   logger: logger)
    }

    /// Recomputes from their events the summaries of `profiles` (an unmerge's two, a merge's
    /// survivors while a rebuild is under way, those an erasure took events from).
    static func recomputeSummaries(of profiles: [Int64], flows: SummaryFlows?, on connection: PostgresConnection, logger: Logger) async throws {
        guard !profiles.isEmpty else { return }
        try await connection.query("DELETE FROM event_summaries WHERE profile_id = ANY(\(profiles))", logger: logger)
        var binds = PostgresBindings()
        binds.append(profiles)
        let select = summarySelect(where: "e.profile_id = ANY($1::bigint[])", flows: flows, binds: &binds)
        try await connection.query(PostgresQuery(unsafeSQL: "INSERT INTO event_summaries (\(summaryColumns))\n" + select, binds: binds), logger: logger)
        var ids = PostgresBindings()
        ids.append(profiles)
        try await recomputeProfileSummaries({ "\($0) = ANY($1::bigint[])" }, binds: ids, on: connection, logger: logger)
        try await recomputeOrderDays({ "\($0) = ANY($1::bigint[])" }, binds: ids, flows: flows, on: connection, logger: logger)
    }

    /// After a script that saved or dropped a value setting: if the revenue or cost flows
    /// changed, the summaries are no longer exact, and a rebuild begins (queries read the raw
    /// events until it is done).
    static func refreshSummaryFlows(on connection: PostgresConnection, logger: Logger) async throws {
        let catalog = try await loadCatalog(on: connection, logger: logger)
        let flows = SummaryFlows(RQL.valueSettings(catalog))
        // Locked: a rebuild step under way finishes first, and this then starts the rebuild over.
        let state = try await summaryState(on: connection, locking: true, logger: logger)
        guard state.flows != flows else { return }
        try await connection.query("""
            UPDATE summary_state SET flows = \(flows.json)::jsonb, ready = false, rebuilt_upto = 0, generation = generation + 1,
                started_at = now(), finished_at = NULL
            """, logger: logger)
    }

    /// One step of a tenant's rebuild (or first backfill) of its summaries: the next `chunk`
    /// profiles by id, recomputed from their events, in a transaction that holds the tenant's
    /// ingestion lock (so no batch, merge, unmerge or erasure is half seen). Resumable: the
    /// progress is `summary_state.rebuilt_upto`, committed with each step.
    /// - Returns: whether the summaries are ready.
    @discardableResult
    public func advanceSummaries(tenant: Tenant, chunk: Int = 20_000) async throws -> Bool {
        try await withTenant(tenant) { connection in
            // Most tenants are ready: that is known without waiting for their ingestion lock.
            if try await Self.summaryState(on: connection, logger: logger).ready { return true }
            try await connection.query("SET LOCAL statement_timeout = '10min'", logger: logger)
            try await Self.lockIngestion(on: connection, logger: logger)
            // The row stays locked to the end of the step: a change of the value settings that
            // commits meanwhile waits, then starts the rebuild again, never the other way round
            // (this step's progress written over a restart).
            var state = try await Self.summaryState(on: connection, locking: true, logger: logger)
            if state.ready { return true }
            if state.flows == nil || state.rebuiltUpto == 0 {
                // The first step settles which flows this rebuild keeps, from the settings as
                // committed now (a script changing them locks the row above before it commits).
                let catalog = try await Self.loadCatalog(on: connection, logger: logger)
                let flows = SummaryFlows(RQL.valueSettings(catalog))
                state.flows = flows
                // (Two statements: Citus allows no stable function in a COALESCE of an UPDATE.)
                try await connection.query("UPDATE summary_state SET flows = \(flows.json)::jsonb", logger: logger)
                try await connection.query("UPDATE summary_state SET started_at = now() WHERE started_at IS NULL", logger: logger)
            }
            var next: Int64?
            for try await last in try await connection.query("""
                SELECT max(id) FROM (SELECT id FROM profiles WHERE id > \(state.rebuiltUpto) ORDER BY id LIMIT \(chunk)) c
                """, logger: logger).decode(Int64?.self) { next = last }
            guard let next else {
                try await connection.query("DELETE FROM event_summaries WHERE profile_id > \(state.rebuiltUpto)", logger: logger)
                try await connection.query("DELETE FROM profile_summaries WHERE profile_id > \(state.rebuiltUpto)", logger: logger)
                try await connection.query("DELETE FROM order_days WHERE profile_id > \(state.rebuiltUpto)", logger: logger)
                try await connection.query("UPDATE summary_state SET ready = true, finished_at = now()", logger: logger)
                logger.info("summaries ready", metadata: ["tenant": "\(tenant.slug)", "generation": "\(state.generation)"])
                return true
            }
            try await connection.query("""
                DELETE FROM event_summaries WHERE profile_id > \(state.rebuiltUpto) AND profile_id <= \(next)
                """, logger: logger)
            var binds = PostgresBindings()
            binds.append(state.rebuiltUpto)
            binds.append(next)
            let select = Self.summarySelect(where: "e.profile_id > $1::bigint AND e.profile_id <= $2::bigint", flows: state.flows, binds: &binds)
            try await connection.query(PostgresQuery(unsafeSQL: "INSERT INTO event_summaries (\(Self.summaryColumns))\n" + select, binds: binds),
                                       logger: logger)
            var range = PostgresBindings()
            range.append(state.rebuiltUpto)
            range.append(next)
            try await Self.recomputeProfileSummaries({ "\($0) > $1::bigint AND \($0) <= $2::bigint" }, binds: range,
                                                     on: connection, logger: logger)
            try await Self.recomputeOrderDays({ "\($0) > $1::bigint AND \($0) <= $2::bigint" }, binds: range, flows: state.flows,
                                              on: connection, logger: logger)
            try await connection.query("UPDATE summary_state SET rebuilt_upto = \(next)", logger: logger)
            return false
        }
    }

    /// Rebuilds `tenant`'s summaries to the end (what the worker does a step at a time), then
    /// vacuums them.
    public func rebuildSummaries(tenant: Tenant, chunk: Int = 20_000) async throws {
        var rebuilt = false
        while try await !advanceSummaries(tenant: tenant, chunk: chunk) { rebuilt = true }
        if rebuilt { try await vacuumSummaries(tenant: tenant) }
    }

    /// The summary tables a rebuild rewrites.
    static let summaryTables = ["event_summaries", "profile_summaries", "order_days"]

    /// VACUUM (ANALYZE) of the summary tables after a rebuild, as the tenant's role (their owner):
    /// a rebuild deletes and writes again every row, so until then an index-only read of them
    /// visits the table for every row (its pages are not known all-visible) and the planner's
    /// statistics are of the rows before. (Outside a transaction, as VACUUM must be.)
    public func vacuumSummaries(tenant: Tenant) async throws {
        try await client.withConnection { try await vacuum(Self.summaryTables, of: tenant, on: $0) }
    }

    /// Where `tenant`'s summaries stand.
    public func summaryStatus(tenant: Tenant) async throws -> SummaryStatus {
        try await withTenant(tenant, readOnly: true) { connection in
            let state = try await Self.summaryState(on: connection, logger: logger)
            var done: Int64 = 0, all: Int64 = 0
            for try await (d, a) in try await connection.query("""
                SELECT count(*) FILTER (WHERE id <= \(state.rebuiltUpto)), count(*) FROM profiles
                """, logger: logger).decode((Int64, Int64).self) { (done, all) = (d, a) }
            return SummaryStatus(ready: state.ready, generation: state.generation, profilesDone: state.ready ? all : done, profiles: all)
        }
    }
}
