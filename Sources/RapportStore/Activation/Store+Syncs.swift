import Foundation
import PostgresNIO
import RapportQL

/// What one sync is and how its last run went: `GET /v1/syncs/{name}`, `describe`, `show syncs`.
public struct SyncInfo: Sendable, Encodable {
    public var name: String
    public var destination: String
    public var definition: String
    public var query: String
    public var fields: [String]
    /// Seconds between runs; nil when it runs manually.
    public var every: Int?
    public var backfill: Bool
    public var send: String
    public var runs: Int64
    public var nextRunAt: Date?
    public var lastRunAt: Date?
    public var lastRunMilliseconds: Int64?
    /// members, entered, changed, exited, queued of the last run.
    public var lastRun: [String: Int64]
    public var lastError: String?
    /// Members now (this sync's state): profiles it delivered and has not exited.
    public var members: Int64
    /// Records waiting (in the outbox, or entries kept in S until delivery moves them),
    /// retrying (tried at least once), and dead letters.
    public var pending: Int64
    public var retrying: Int64
    public var deadLetters: Int64

    enum CodingKeys: String, CodingKey {
        case name, destination, definition, query, fields, every, backfill, send, runs, members, pending, retrying
        case nextRunAt = "next_run_at", lastRunAt = "last_run_at", lastRunMilliseconds = "last_run_ms", lastRun = "last_run"
        case lastError = "last_error", deadLetters = "dead_letters"
    }
}

/// What a run did.
public struct SyncRun: Sendable, Encodable {
    public var sync: String
    public var run: Int64
    public var members: Int64
    public var entered: Int64
    public var changed: Int64
    public var exited: Int64
    /// Records queued (the send mode's kinds; none on a first run without backfill): written
    /// to the outbox, or, for entries, kept in the sync's state until delivery moves them.
    public var queued: Int64
    public var milliseconds: Int64
}

/// A sync's run could not be done.
public enum SyncError: Error, CustomStringConvertible, Equatable {
    case notFound(String)
    /// The audience no longer checks against the catalogue (a segment it used was dropped…).
    case broken(String, diagnostics: [Diagnostic])
    /// Another run of the same sync holds it.
    case busy(String)

    public var description: String {
        switch self {
        case .notFound(let name): "There is no sync `\(name)`."
        case .broken(let name, let diagnostics):
            "The sync `\(name)` no longer checks: " + diagnostics.map { "\($0.message) [\($0.code)]" }.joined(separator: "; ")
                + ". Save it again (`sync \(name) to …`) or drop it."
        case .busy(let name): "The sync `\(name)` is running already; try again when that run ends."
        }
    }
}

extension Store {
    /// The most syncs one tenant may have.
    public static let maxSyncs = 100

    // MARK: Definitions (from RQL statements)

    /// Saves a checked sync (in the caller's tenant transaction). Saving again under the same
    /// name keeps its identity and what it delivered, unless the destination changes: then it
    /// is a new sync, which starts from nothing.
    static func saveSync(_ sync: SyncDefinition, on connection: PostgresConnection, logger: Logger) async throws -> QueryResult {
        var count = 0
        for try await n in try await connection.query("SELECT count(*)::int FROM syncs WHERE name <> \(sync.name)", logger: logger).decode(Int.self) { count = n }
        guard count < maxSyncs else { throw StoreError.invalidInput("A tenant has at most \(maxSyncs) syncs.") }
        // A sync sent elsewhere is a new sync: what it delivered before was the other destination's.
        try await dropSyncs(name: sync.name, unlessTo: sync.destination, on: connection, logger: logger)
        // The definition, then its schedule in statements of their own: Citus refuses anything
        // but immutable functions in DO UPDATE SET (now(), timestamptz + interval).
        try await connection.query("""
            INSERT INTO syncs (name, destination, query, fields, every, backfill, send, uses)
            VALUES (\(sync.name), \(sync.destination), \(sync.query), \(sync.fields), \(sync.every), \(sync.backfill), \(sync.send.rawValue),
                    \(sync.uses))
            ON CONFLICT (name) DO UPDATE SET query = excluded.query, fields = excluded.fields, every = excluded.every,
                backfill = excluded.backfill, send = excluded.send, uses = excluded.uses
            """, logger: logger)
        // A new sync is next due now (if it runs on a schedule); a saved one a period after its
        // last run. Worked out here: Citus allows no stable function in a CASE or COALESCE of a
        // distributed table's UPDATE either.
        var now = Date(), lastRun: Date?
        for try await (time, last) in try await connection.query(
            "SELECT now(), last_run_at FROM syncs WHERE name = \(sync.name)", logger: logger).decode((Date, Date?).self) {
            (now, lastRun) = (time, last)
        }
        let next = sync.every.map { every in lastRun.map { $0.addingTimeInterval(TimeInterval(every)) } ?? now }
        try await connection.query(
            "UPDATE syncs SET updated_at = \(now), next_run_at = \(next) WHERE name = \(sync.name)", logger: logger)
        return QueryResult.lines("result", ["saved sync \(sync.name)"])
    }

    static func dropSync(_ name: String, on connection: PostgresConnection, logger: Logger) async throws -> QueryResult {
        try await dropSyncs(name: name, unlessTo: nil, on: connection, logger: logger)
        return QueryResult.lines("result", ["dropped sync \(name)"])
    }

    /// Removes the sync `name` (unless it sends to `destination`) with its state and waiting
    /// records, in one statement (the tables have no foreign keys to it: their per-row checks
    /// cost a first run a sixth of its time).
    static func dropSyncs(name: String, unlessTo destination: String?, on connection: PostgresConnection, logger: Logger) async throws {
        // First wait for a run of it to end, so that the statement below (a new snapshot) sees
        // all the rows that run wrote.
        try await connection.query("SELECT 1 FROM syncs WHERE name = \(name) FOR UPDATE", logger: logger)
        try await connection.query("""
            WITH gone AS (DELETE FROM syncs WHERE name = \(name) AND (\(destination)::text IS NULL OR destination <> \(destination)) RETURNING id),
            state AS (DELETE FROM sync_state WHERE sync_id IN (SELECT id FROM gone))
            DELETE FROM sync_outbox WHERE sync_id IN (SELECT id FROM gone)
            """, logger: logger)
    }

    static func showSyncs(cap: Int, on connection: PostgresConnection, logger: Logger) async throws -> QueryResult {
        var rows: [[QueryValue]] = []
        for try await (name, destination, every, send, lastRun, members, error) in try await connection.query("""
            SELECT s.name, s.destination, s.every, s.send, s.last_run_at, (SELECT count(*) FROM sync_state t WHERE t.sync_id = s.id), s.last_error
            FROM syncs s ORDER BY s.name LIMIT \(cap + 1)
            """, logger: logger).decode((String, String, Int?, String, Date?, Int64, String?).self) {
            rows.append([.text(name), .text(destination), .text(every.map { "every " + SyncDefinition.duration($0) } ?? "manually"),
                         .text(send), lastRun.map { .timestamp(iso($0)) } ?? .null, .number(String(members)), error.map(QueryValue.text) ?? .null])
        }
        let columns: [(String, FieldType)] = [("name", .text), ("destination", .text), ("schedule", .text), ("send", .text),
                                              ("last_run_at", .timestamp), ("members", .number), ("last_error", .text)]
        return QueryResult(columns: columns.map { ResultColumn(name: $0.0, type: $0.1) }, rows: rows)
    }

    /// The rows of `describe SYNC`.
    static func describeSync(_ name: String, on connection: PostgresConnection, logger: Logger) async throws -> [(String, String)] {
        guard let info = try await syncInfos(name: name, on: connection, logger: logger).first else { return [] }
        var facts: [(String, String)] = [("name", info.name), ("kind", "sync"), ("definition", info.definition),
                                         ("destination", info.destination), ("fields", info.fields.joined(separator: ", ")),
                                         ("runs", String(info.runs)), ("members", String(info.members)),
                                         ("pending", String(info.pending)), ("retrying", String(info.retrying)),
                                         ("dead_letters", String(info.deadLetters))]
        if let at = info.lastRunAt {
            let counts = ["entered", "changed", "exited"].map { "\($0) \(info.lastRun[$0] ?? 0)" }.joined(separator: ", ")
            facts.append(("last_run", "\(iso(at)): \(counts)"))
        }
        if let next = info.nextRunAt { facts.append(("next_run_at", iso(next))) }
        if let error = info.lastError { facts.append(("last_error", error)) }
        return facts
    }

    static func syncInfos(name: String? = nil, on connection: PostgresConnection, logger: Logger) async throws -> [SyncInfo] {
        var infos: [SyncInfo] = []
        let rows = try await connection.query("""
            SELECT s.name, s.destination, s.query, s.fields, s.every, s.backfill, s.send, s.runs, s.next_run_at, s.last_run_at,
                   s.last_run_ms, s.last_counts::text, s.last_error,
                   (SELECT count(*) FROM sync_state t WHERE t.sync_id = s.id),
                   (SELECT count(*) FROM sync_outbox o WHERE o.sync_id = s.id)
                   + (SELECT count(*) FROM sync_state t WHERE t.sync_id = s.id AND s.pending_run IS NOT NULL AND \(unescaped: Self.keptEntry())),
                   (SELECT count(*) FROM sync_outbox o WHERE o.sync_id = s.id AND o.destination = s.destination AND o.id = ANY(ARRAY(
                       SELECT unnest(b.ids) FROM sync_batches b WHERE b.destination = s.destination))),
                   (SELECT count(*) FROM sync_dead_letters d WHERE d.sync_id = s.id)
            FROM syncs s WHERE \(name)::text IS NULL OR s.name = \(name) ORDER BY s.name
            """, logger: logger)
        for try await row in rows {
            let columns = try row.decode((String, String, String, [String], Int?, Bool, String, Int64, Date?, Date?, Int64?, String, String?,
                                          Int64, Int64, Int64, Int64).self)
            let counts = (try? JSONDecoder().decode([String: Int64].self, from: Data(columns.11.utf8))) ?? [:]
            let definition = SyncDefinition(name: columns.0, destination: columns.1, query: columns.2, fields: columns.3, every: columns.4,
                                             backfill: columns.5, send: SyncDefinition.Send(rawValue: columns.6) ?? .eventsAndTraits, uses: [])
            infos.append(SyncInfo(name: columns.0, destination: columns.1, definition: definition.statement, query: columns.2,
                                  fields: columns.3, every: columns.4, backfill: columns.5, send: columns.6, runs: columns.7,
                                  nextRunAt: columns.8, lastRunAt: columns.9, lastRunMilliseconds: columns.10, lastRun: counts,
                                  lastError: columns.12, members: columns.13, pending: columns.14, retrying: columns.15, deadLetters: columns.16))
        }
        return infos
    }

    public func syncs(tenant: Tenant) async throws -> [SyncInfo] {
        try await withTenant(tenant, readOnly: true) { connection in try await Self.syncInfos(on: connection, logger: logger) }
    }

    public func sync(_ name: String, tenant: Tenant) async throws -> SyncInfo {
        guard let info = try await withTenant(tenant, readOnly: true, { connection in
            try await Self.syncInfos(name: name, on: connection, logger: logger).first
        }) else { throw SyncError.notFound(name) }
        return info
    }

    // MARK: Runs

    /// The syncs of `tenant` whose scheduled run is due.
    public func dueSyncs(tenant: Tenant) async throws -> [String] {
        try await withTenant(tenant, readOnly: true) { connection in
            var names: [String] = []
            for try await name in try await connection.query(
                "SELECT name FROM syncs WHERE next_run_at <= now() ORDER BY next_run_at", logger: logger).decode(String.self) {
                names.append(name)
            }
            return names
        }
    }

    /// Runs sync `name` now (Grammar/README.md, "Syncs", "A run"): computes its audience,
    /// carries its state through merges, and writes the records to the outbox in the same
    /// transaction that records the new state. A run that fails changes nothing but the
    /// sync's last error. Runs of one sync wait for each other; an erasure waits for a run.
    ///
    /// The audience reads the per-profile summaries where they answer it exactly, as a query
    /// does; should a rebuild of them begin while the run reads them, the run changes nothing
    /// and is done again from the events.
    @discardableResult
    public func runSync(_ name: String, tenant: Tenant, now: Date = Date()) async throws -> SyncRun {
        do {
            return try await runSync(name, tenant: tenant, now: now, summaries: true)
        } catch is SummariesRebuilt {
            return try await runSync(name, tenant: tenant, now: now, summaries: false)
        }
    }

    func runSync(_ name: String, tenant: Tenant, now: Date, summaries useSummaries: Bool) async throws -> SyncRun {
        let started = ContinuousClock.now
        do {
            let citus = try await hasCitus()
            return try await withTenant(tenant) { connection in
                // Each statement sees what committed before it (a take's moves, an erasure it
                // waited for), whatever the database's default.
                try await connection.query("SET TRANSACTION ISOLATION LEVEL READ COMMITTED", logger: logger)
                try await Self.prepareForQueries(connection, logger: logger)
                try await connection.query("SET LOCAL statement_timeout = '10min'", logger: logger)
                try await connection.query("SET LOCAL lock_timeout = '2s'", logger: logger)
                try await connection.query(
                    "SELECT pg_advisory_xact_lock_shared(hashtextextended('rapport.privacy.' || current_schema(), 0))", logger: logger)
                var found: (UUID, String, String, Bool, String, Int64, Int?)?
                do {
                    for try await row in try await connection.query("""
                        SELECT id, destination, query, backfill, send, runs, every FROM syncs WHERE name = \(name) FOR UPDATE
                        """, logger: logger).decode((UUID, String, String, Bool, String, Int64, Int?).self) { found = row }
                } catch let error as PSQLError where error.serverInfo?[.sqlState] == "55P03" {
                    throw SyncError.busy(name)
                }
                guard let (id, destination, queryText, backfill, send, runs, every) = found else { throw SyncError.notFound(name) }
                // The entries of the run before that a take has not yet moved to the outbox go
                // there first (in chunks): this run's records of their profiles come after them.
                while let kept = try await Self.keptEntries(sync: id, on: connection, logger: logger) {
                    try await Self.releaseEntries(kept, limit: 50_000, citus: citus, on: connection, logger: logger)
                }
                var catalog = try await Self.loadCatalog(on: connection, logger: logger)
                if !useSummaries { catalog.summaries = nil }
                let compiledFor = catalog.summaries
                let (audience, fields, diagnostics) = RQL.audience(queryText, catalog: catalog)
                guard let audience else { throw SyncError.broken(name, diagnostics: diagnostics) }
                try await connection.query("SET LOCAL lock_timeout = 0", logger: logger)
                try await Self.carryThroughMerges(sync: id, on: connection, logger: logger)
                let run = runs + 1
                let kinds = (SyncDefinition.Send(rawValue: send) ?? .eventsAndTraits).kinds
                let queue = backfill || runs > 0
                let stamp = Self.iso(now)
                var counts = try await Self.diff(sync: id, name: name, destination: destination, run: run, audience: audience,
                                                 fields: fields, kinds: kinds, send: send, queue: queue, now: stamp, citus: citus, on: connection,
                                                 logger: logger)
                // The diff read the summaries and the events of one snapshot; a rebuild that
                // began after the catalogue was read would have shown it members who are not
                // (and hidden some who are).
                if audience.readsSummaries, let compiledFor {
                    let state = try await Self.summaryState(on: connection, logger: logger)
                    if !state.ready || state.generation != compiledFor.generation { throw SummariesRebuilt() }
                }
                let elapsed = ContinuousClock.now - started
                let ms = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
                counts["ms"] = ms
                let countsJSON = String(decoding: try JSONEncoder().encode(counts), as: UTF8.self)
                // The next run's time worked out here: Citus calls no stable function (timestamptz +
                // interval) with a column in a distributed table's UPDATE.
                let next = every.map { now.addingTimeInterval(TimeInterval($0)) }
                try await connection.query("""
                    UPDATE syncs SET runs = \(run), last_run_at = \(now), last_run_ms = \(ms), last_counts = \(countsJSON)::jsonb, last_error = NULL,
                        next_run_at = \(next)
                    WHERE id = \(id)
                    """, logger: logger)
                return SyncRun(sync: name, run: run, members: counts["members"] ?? 0, entered: counts["entered"] ?? 0,
                               changed: counts["changed"] ?? 0, exited: counts["exited"] ?? 0, queued: counts["queued"] ?? 0, milliseconds: ms)
            }
        } catch let error as SyncError {
            if case .broken = error { try? await recordSyncError(name, error: error.description, tenant: tenant, now: now) }
            throw error
        } catch let error as PSQLError {
            let message = "The run failed in the database (\(error.serverInfo?[.sqlState] ?? "no SQLSTATE")); it changed nothing and is tried again at the next run."
            try? await recordSyncError(name, error: message, tenant: tenant, now: now)
            throw StoreError.database(message, underlying: StoreError.databaseCause(error))
        }
    }

    /// Records why the last run failed, and when the next is due (a failing sync is not retried
    /// more often than every 5 minutes).
    func recordSyncError(_ name: String, error: String, tenant: Tenant, now: Date) async throws {
        try await withTenant(tenant) { connection in
            // Worked out here, as a run's next time is (Citus).
            var every: Int?
            for try await value in try await connection.query(
                "SELECT every FROM syncs WHERE name = \(name) FOR UPDATE", logger: logger).decode(Int?.self) {
                every = value
            }
            let next = every.map { now.addingTimeInterval(TimeInterval(max($0 / 4, 300))) }
            try await connection.query("UPDATE syncs SET last_error = \(error), next_run_at = \(next) WHERE name = \(name)", logger: logger)
        }
    }

    /// Step 2 of a run: an entry of a profile merged into another moves to the live survivor;
    /// of several on one survivor the entry of the lowest profile id stays.
    static func carryThroughMerges(sync id: UUID, on connection: PostgresConnection, logger: Logger) async throws {
        var origins: [Int64] = []
        var lives: [Int64] = []
        for try await (origin, live) in try await connection.query("""
            WITH RECURSIVE chain (origin, at, depth) AS (
                SELECT t.profile_id, p.merged_into, 1 FROM sync_state t JOIN profiles p ON p.id = t.profile_id
                WHERE t.sync_id = \(id) AND p.merged_into IS NOT NULL
                UNION ALL
                SELECT c.origin, p.merged_into, c.depth + 1 FROM chain c JOIN profiles p ON p.id = c.at
                WHERE p.merged_into IS NOT NULL AND c.depth < 64)
            SELECT c.origin, c.at FROM chain c JOIN profiles p ON p.id = c.at WHERE p.merged_into IS NULL
            """, logger: logger).decode((Int64, Int64).self) {
            origins.append(origin)
            lives.append(live)
        }
        guard !origins.isEmpty else { return }
        try await connection.query("""
            WITH moves (origin, live) AS (SELECT * FROM unnest(\(origins)::bigint[], \(lives)::bigint[])),
            candidates AS (
                SELECT origin, live FROM moves
                UNION SELECT t.profile_id, t.profile_id FROM sync_state t WHERE t.sync_id = \(id) AND t.profile_id IN (SELECT live FROM moves)),
            kept AS (SELECT DISTINCT ON (live) live, origin FROM candidates ORDER BY live, origin)
            UPDATE sync_state t SET profile_id = -kept.live FROM kept WHERE t.sync_id = \(id) AND t.profile_id = kept.origin
            """, logger: logger)
        try await connection.query("""
            DELETE FROM sync_state t WHERE t.sync_id = \(id)
              AND t.profile_id IN (SELECT unnest(\(origins)::bigint[]) UNION SELECT unnest(\(lives)::bigint[]))
            """, logger: logger)
        try await connection.query("""
            UPDATE sync_state SET profile_id = -profile_id WHERE sync_id = \(id) AND profile_id < 0
            """, logger: logger)
    }

    /// Step 1 as SQL: the audience's rows as `(profile_id, fields jsonb)`, suppressed profiles
    /// left out, with its binds. Each field is a JSON value: text as a string, numbers and
    /// booleans as themselves, a timestamp as an ISO 8601 string in UTC, a duration in seconds.
    public static func audienceRows(_ audience: CompiledQuery, fields: [String], now: String) -> (sql: String, binds: PostgresBindings) {
        var binds = TypedBind.bindings(audience.binds, now: now, capacity: audience.binds.count + fields.count + 8)
        var pairs: [String] = []
        for (index, field) in fields.enumerated() {
            let column = "q.c\(index + 2)"
            let value: String
            switch audience.columns[index + 1].type {
            case .text: value = column
            case .number, .duration: value = "(\(column))::numeric"
            case .boolean: value = "(\(column))::boolean"
            case .timestamp:
                value = "to_char(('epoch'::timestamptz + (\(column))::numeric * interval '1 second') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
            case .null: value = "NULL::text"
            }
            binds.append(field)
            pairs.append("$\(binds.count)::text, \(value)")
        }
        // jsonb_build_object takes at most 100 arguments: 50 fields a call.
        let objects = stride(from: 0, to: max(pairs.count, 1), by: 50).map { start in
            "jsonb_build_object(" + pairs[start..<min(start + 50, pairs.count)].joined(separator: ", ") + ")"
        }
        let sql = """
            SELECT q.c1::bigint AS profile_id, \(objects.joined(separator: " || ")) AS fields FROM (\(audience.sql)) q
            WHERE NOT EXISTS (SELECT 1 FROM suppressed_profiles sp WHERE sp.profile_id = q.c1::bigint)
            """
        return (sql, binds)
    }

    /// Steps 1, 3 and 6 of a run, in one statement: the audience A, its difference with the
    /// state S, S made A, and the records of the send mode's kinds queued in profile order.
    /// Entries are kept as their new rows of S, marked with the run (``keptEntry``): a take
    /// moves them to the outbox (``releaseEntries(_:limit:on:logger:)``). Writing each member
    /// twice, as its row of S and as a record with its identities, cost a first run of 200,000
    /// members 3.3 times the bare difference.
    static func diff(sync id: UUID, name: String, destination: String, run: Int64, audience: CompiledQuery, fields: [String],
                     kinds: [String], send: String, queue: Bool, now: String, citus: Bool, on connection: PostgresConnection,
                     logger: Logger) async throws -> [String: Int64] {
        let rows = Self.audienceRows(audience, fields: fields, now: now)
        let audienceSQL = rows.sql
        var binds = rows.binds
        func param(_ value: some PostgresNonThrowingEncodable & Sendable) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }
        let keep = queue && kinds.contains("entered")
        let outboxKinds = kinds.filter { $0 != "entered" }
        let (syncID, syncName, dest, runNumber, kindList, queueIt, at, mode, keepIt) =
            (param(id), param(name), param(destination), param(run), param(outboxKinds), param(queue), param(now), param(send), param(keep))
        let queued = Self.queueRecords(
            from: "SELECT profile_id, kind, fields FROM d WHERE \(queueIt) AND d.kind = ANY(\(kindList)::text[]) ORDER BY profile_id",
            destination: dest, sync: syncID, name: syncName, run: runNumber, at: at, send: mode, citus: citus)
        let sql = """
            WITH a AS MATERIALIZED (\(audienceSQL)),
            s AS (SELECT profile_id, fields FROM sync_state WHERE sync_id = \(syncID)),
            d AS MATERIALIZED (
                SELECT coalesce(a.profile_id, s.profile_id) AS profile_id,
                       CASE WHEN s.profile_id IS NULL THEN 'entered' WHEN a.profile_id IS NULL THEN 'exited' ELSE 'changed' END AS kind,
                       coalesce(a.fields, s.fields) AS fields
                FROM a FULL JOIN s ON s.profile_id = a.profile_id
                WHERE s.profile_id IS NULL OR a.profile_id IS NULL OR s.fields <> a.fields),
            -- An entry is not in S (this run holds the sync, and merges were carried first): a
            -- plain insert, which costs a first run half of what an upsert does. Marked with the
            -- run when it is to be sent: the row is the entry's record until a take moves it.
            entries AS (
                INSERT INTO sync_state (sync_id, profile_id, fields, entry_run)
                SELECT \(syncID), profile_id, fields, CASE WHEN \(keepIt) THEN \(runNumber)::bigint END FROM d WHERE kind = 'entered'),
            changes AS (
                INSERT INTO sync_state (sync_id, profile_id, fields)
                SELECT \(syncID), profile_id, fields FROM d WHERE kind = 'changed'
                ON CONFLICT (sync_id, profile_id) DO UPDATE SET fields = excluded.fields),
            -- The exits as an array probed in S's key: a join here could be planned (S fresh to the
            -- statistics, estimated at a row) as a scan of d for every row of S.
            gone AS (DELETE FROM sync_state t WHERE t.sync_id = \(syncID)
                       AND t.profile_id = ANY(ARRAY(SELECT profile_id FROM d WHERE kind = 'exited'))),
            queued AS (\(queued) RETURNING 1),
            kept AS (
                UPDATE syncs SET pending_run = \(runNumber), pending_at = \(at), pending_from = e.first, pending_send = \(mode)
                FROM (SELECT min(profile_id) AS first FROM d WHERE kind = 'entered') e
                WHERE id = \(syncID) AND \(keepIt) AND e.first IS NOT NULL)
            SELECT (SELECT count(*) FROM a), count(*) FILTER (WHERE kind = 'entered'), count(*) FILTER (WHERE kind = 'changed'),
                   count(*) FILTER (WHERE kind = 'exited'),
                   (SELECT count(*) FROM queued) + CASE WHEN \(keepIt) THEN count(*) FILTER (WHERE kind = 'entered') ELSE 0 END
            FROM d
            """
        var counts: [String: Int64] = [:]
        for try await (members, entered, changed, exited, queued) in try await connection.query(
            PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).decode((Int64, Int64, Int64, Int64, Int64).self) {
            counts = ["members": members, "entered": entered, "changed": changed, "exited": exited, "queued": queued]
        }
        return counts
    }

    /// An INSERT of the records of `source` (rows `(profile_id, kind, fields)` in profile id
    /// order) into the outbox, each with its message id and payload; the other arguments are
    /// SQL expressions (parameters). The payload's user id and email are the profile's newest
    /// (the latest seen, then the least): one probe of its identities, not one per kind. The
    /// records are put in profile order before the probes, which keep it: sorting them after,
    /// payloads and all, spilled 95 MB to disk on a first run of 200,000.
    static func queueRecords(from source: String, destination: String, sync: String, name: String, run: String, at: String,
                             send: String, followMerges: Bool = false, citus: Bool = false) -> String {
        let messageID = "md5(\(sync)::text || '/' || \(run)::text || '/' || d.profile_id::text)::uuid"
        // The identities of the person now: a profile merged since (an entry moved after its
        // run) has given them to the live one, which its `merged_into` names (a merge points
        // the profiles merged into its loser at its survivor too; a recursive walk of the chain
        // per record cost delivery a tenth of its speed).
        let owner = followMerges ? "coalesce(o.merged_into, d.profile_id)" : "d.profile_id"
        let profiles = followMerges ? "\n            LEFT JOIN profiles o ON o.id = d.profile_id" : ""
        let newest = """
            (array_agg(i.value ORDER BY i.last_seen DESC, i.value) FILTER (WHERE i.kind = 'user_id'))[1] AS user_id,
                       (array_agg(i.value ORDER BY i.last_seen DESC, i.value) FILTER (WHERE i.kind = 'email'))[1] AS email
            """
        // Citus plans no LATERAL outer join over a CTE's rows: there, the identities of the
        // records' profiles, grouped by profile, are joined instead (on PostgreSQL the probe
        // per record is the faster).
        let identities = citus
            ? """
                LEFT JOIN (
                    SELECT i.profile_id, \(newest)
                    FROM identities i
                    WHERE i.kind IN ('user_id', 'email') AND i.profile_id IN (SELECT \(owner) FROM (\(source)) d\(profiles))
                    GROUP BY i.profile_id) ids ON ids.profile_id = \(owner)
                """
            : """
                LEFT JOIN LATERAL (
                    SELECT \(newest)
                    FROM identities i WHERE i.profile_id = \(owner)) ids ON true
                """
        return """
            INSERT INTO sync_outbox (destination, sync_id, sync_name, run, profile_id, kind, message_id, payload)
            SELECT \(destination), \(sync), \(name), \(run), d.profile_id, d.kind, \(messageID),
                   json_build_object('kind', d.kind, 'sync', \(name)::text, 'profile_id', d.profile_id,
                       'user_id', ids.user_id, 'email', ids.email,
                       'fields', d.fields, 'at', \(at)::text, 'send', \(send)::text, 'message_id', \(messageID))
            FROM (\(source)) d\(profiles)
            \(identities)
            ORDER BY d.profile_id
            """
    }

    // MARK: Kept entries

    /// Whether the row `t` of S (of the sync `s`) is a kept entry: an entry of the sync's
    /// pending run not yet moved to the outbox (migration tenant/0013). As a condition of a
    /// WHERE (null is not true), so that `profile_id >= pending_from` bounds a read of S's key.
    static func keptEntry(_ t: String = "t", _ s: String = "s") -> String {
        "(\(t).entry_run = \(s).pending_run AND \(t).profile_id >= \(s).pending_from)"
    }

    /// ``keptEntry(_:_:)`` as a boolean that is never null (for `NOT`).
    static func isKeptEntry(_ t: String = "t", _ s: String = "s") -> String { "coalesce(\(keptEntry(t, s)), false)" }

    /// A sync whose last run's entries are kept in S, and where the next one to move is.
    struct KeptEntries: Sendable {
        var sync: UUID
        var name: String
        var destination: String
        /// The run's send mode (the sync may be saved again with another before they move).
        var send: String
        var run: Int64
        var at: String
        var from: Int64
    }

    static let keptColumns = "id, name, destination, pending_send, pending_run, pending_at, pending_from"

    static func keptEntries(decoding rows: PostgresRowSequence) async throws -> [KeptEntries] {
        var found: [KeptEntries] = []
        for try await (id, name, destination, send, run, at, from) in rows.decode((UUID, String, String, String, Int64, String, Int64).self) {
            found.append(KeptEntries(sync: id, name: name, destination: destination, send: send, run: run, at: at, from: from))
        }
        return found
    }

    /// The kept entries of sync `id`, which the caller holds (its row locked); nil when none.
    static func keptEntries(sync id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> KeptEntries? {
        try await keptEntries(decoding: connection.query(
            "SELECT \(unescaped: keptColumns) FROM syncs WHERE id = \(id) AND pending_run IS NOT NULL", logger: logger)).first
    }

    /// Moves up to `limit` of a sync's kept entries, in profile id order, to
    /// the outbox as `entered` records with the run's number, T and send mode, as the run would
    /// have queued them; the user id and email are those of the person now (of the live profile,
    /// should the entry's have merged since). An entry of a person suppressed since is dropped
    /// from S instead (never sent, so nothing to take back). The caller holds the sync's row,
    /// so no run changes S meanwhile, and the activation lock shared, so no erasure or
    /// suppression. Returns how many were moved or dropped.
    @discardableResult
    static func releaseEntries(_ kept: KeptEntries, limit: Int, citus: Bool, on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        // The entries first, then the moves by their ids: an INSERT … SELECT with a LIMIT is
        // one that Citus sends to a worker malformed (README, "Scale-out").
        var profiles: [Int64] = [], suppressed: [Int64] = []
        for try await (id, gone) in try await connection.query(releasePickQuery(kept, limit: limit), logger: logger).decode((Int64, Bool).self) {
            if gone { suppressed.append(id) } else { profiles.append(id) }
        }
        let last = max(profiles.last ?? .min, suppressed.last ?? .min)
        if !suppressed.isEmpty {
            try await connection.query("""
                DELETE FROM sync_state WHERE sync_id = \(kept.sync) AND profile_id = ANY(\(suppressed))
                """, logger: logger)
        }
        if !profiles.isEmpty { try await connection.query(releaseQuery(kept, profiles: profiles, citus: citus), logger: logger) }
        let done = profiles.count + suppressed.count
        if done < limit {
            // None left: the sync keeps no entries.
            try await connection.query("""
                UPDATE syncs SET pending_run = NULL, pending_at = NULL, pending_from = NULL, pending_send = NULL WHERE id = \(kept.sync)
                """, logger: logger)
        } else {
            try await connection.query("UPDATE syncs SET pending_from = \(last) + 1 WHERE id = \(kept.sync)", logger: logger)
        }
        return Int64(done)
    }

    /// The first statement of a move: the next `limit` kept entries, as a range of S's key from
    /// where the last move ended, each with whether its person is suppressed.
    static func releasePickQuery(_ kept: KeptEntries, limit: Int) -> PostgresQuery {
        var binds = PostgresBindings(capacity: 4)
        binds.append(kept.sync)
        binds.append(kept.from)
        binds.append(kept.run)
        binds.append(Int64(limit))
        return PostgresQuery(unsafeSQL: """
            SELECT t.profile_id, EXISTS (SELECT 1 FROM suppressed_profiles sp WHERE sp.profile_id = t.profile_id)
            FROM sync_state t WHERE t.sync_id = $1 AND t.profile_id >= $2 AND t.entry_run = $3 ORDER BY t.profile_id LIMIT $4::bigint
            """, binds: binds)
    }

    /// The second: the records of the entries of `profiles` (in profile id order) into the outbox.
    static func releaseQuery(_ kept: KeptEntries, profiles: [Int64], citus: Bool) -> PostgresQuery {
        var binds = PostgresBindings(capacity: 8)
        func param(_ value: some PostgresNonThrowingEncodable & Sendable) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }
        let (sync, name, destination, run, at, send, ids, low, high) =
            (param(kept.sync), param(kept.name), param(kept.destination), param(kept.run), param(kept.at), param(kept.send), param(profiles),
             param(profiles.min() ?? 0), param(profiles.max() ?? -1))
        // The entries as a range of S's key, the ids a condition within it: as the only
        // condition on the profile, the ids were planned as a filter over all of the sync's S.
        let queued = Self.queueRecords(
            from: """
                SELECT t.profile_id, 'entered'::text AS kind, t.fields FROM sync_state t
                WHERE t.sync_id = \(sync) AND t.profile_id BETWEEN \(low) AND \(high) AND t.profile_id = ANY(\(ids)::bigint[])
                ORDER BY t.profile_id
                """,
            destination: destination, sync: sync, name: name, run: run, at: at, send: send, followMerges: true, citus: citus)
        return PostgresQuery(unsafeSQL: queued, binds: binds)
    }

    /// Whether a sync of `destination` keeps entries for a take to move.
    static func hasKeptEntries(destination: String, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        for try await found in try await connection.query(
            "SELECT EXISTS (SELECT 1 FROM syncs WHERE destination = \(destination) AND pending_run IS NOT NULL)", logger: logger
        ).decode(Bool.self) { return found }
        return false
    }

    /// Moves up to `limit` kept entries of `destination`'s syncs to the outbox (a take's),
    /// skipping a sync whose run is in progress (it moves them itself) and doing nothing while
    /// an erasure or suppression runs. Syncs are locked one at a time, and only while there is
    /// still something to move: a run waits for a take's lock at most 2 s. Returns how many
    /// were moved.
    static func releaseEntries(destination: String, limit: Int, citus: Bool, on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        guard try await hasKeptEntries(destination: destination, on: connection, logger: logger) else { return 0 }
        // A statement of its own, reading no table: on Citus it must be taken on the
        // coordinator, where runs and erasures take theirs.
        var free = false
        for try await ok in try await connection.query(
            "SELECT pg_try_advisory_xact_lock_shared(hashtextextended('rapport.privacy.' || current_schema(), 0))", logger: logger
        ).decode(Bool.self) { free = ok }
        guard free else { return 0 }
        var moved: Int64 = 0
        var seen: [UUID] = []
        while moved < limit {
            guard let kept = try await keptEntries(decoding: connection.query("""
                SELECT \(unescaped: keptColumns) FROM syncs WHERE destination = \(destination) AND pending_run IS NOT NULL
                  AND NOT (id = ANY(\(seen))) ORDER BY pending_at, name LIMIT 1 FOR UPDATE SKIP LOCKED
                """, logger: logger)).first else { break }
            seen.append(kept.sync)
            moved += try await releaseEntries(kept, limit: limit - Int(moved), citus: citus, on: connection, logger: logger)
        }
        return moved
    }
}
