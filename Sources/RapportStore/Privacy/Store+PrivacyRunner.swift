import Foundation
import Logging
import Metrics
import NIOConcurrencyHelpers
import PostgresNIO

/// A request that ran but could not finish; the message names no personal data.
struct PrivacyRunFailure: Error, CustomStringConvertible {
    var description: String
}

extension Store {
    /// Carries out every request that is pending, or running with no runner alive (its process
    /// died), oldest first. Used by the server's worker; returns how many it finished.
    @discardableResult
    public func runOpenPrivacyRequests() async throws -> Int {
        do {
            try await expireExports()
        } catch where !Task.isCancelled {
            // Expiry is housekeeping: it must not hold up the requests.
            logger.error("expired exports could not be deleted", metadata: ["error": "\(String(reflecting: error))"])
        }
        let rows = try await client.query("""
            SELECT id FROM (
                SELECT id, received_at, row_number() OVER (PARTITION BY tenant_id ORDER BY received_at, id) AS turn
                FROM rapport.privacy_requests WHERE status IN ('pending', 'running')) open
            ORDER BY turn, received_at, id LIMIT 100
            """, logger: logger)
        var ids: [String] = []
        for try await id in rows.decode(String.self) { ids.append(id) }
        var finished = 0
        for id in ids {
            do {
                if try await runPrivacyRequest(id) != nil { finished += 1 }
            } catch where !Task.isCancelled {
                // One request that cannot run must not hold up the others.
                logger.error("a privacy request could not be run", metadata: ["request": "\(id)", "error": "\(String(reflecting: error))"])
            }
        }
        return finished
    }

    /// How long a finished export stays downloadable: it is a copy of personal data, kept no
    /// longer than the person needs to fetch it.
    public static let exportRetentionDays = 30

    /// Deletes the documents of exports finished more than ``exportRetentionDays`` ago, recording
    /// each in the audit log. Returns how many went.
    @discardableResult
    public func expireExports() async throws -> Int {
        let logger = self.logger
        return try await withTransaction { connection in
            let rows = try await connection.query("""
                WITH old AS (
                    SELECT r.id, r.subject_kind, r.subject_hash, t.slug, t.id AS tenant_id FROM rapport.privacy_requests r
                    JOIN rapport.tenants t ON t.id = r.tenant_id
                    WHERE r.type = 'export' AND r.completed_at < now() - make_interval(days => \(Self.exportRetentionDays)::int)
                      AND EXISTS (SELECT 1 FROM rapport.privacy_exports e WHERE e.request_id = r.id)),
                gone AS (DELETE FROM rapport.privacy_exports WHERE request_id IN (SELECT id FROM old)),
                audited AS (
                    INSERT INTO rapport.audit_log (tenant, tenant_id, actor, action, details)
                    SELECT slug, tenant_id, 'rapport', 'privacy.export.expired',
                           jsonb_build_object('request', id, 'subject_kind', subject_kind, 'subject_hash', encode(subject_hash, 'hex'))
                    FROM old RETURNING 1)
                SELECT count(*) FROM old
                """, logger: logger)
            for try await n in rows.decode(Int.self) { return n }
            return 0
        }
    }

    /// Carries out one request: claims it (pending -> running, or a running request whose
    /// runner died), does the work, records completed or failed with counts, and appends to
    /// the audit log. A session advisory lock on the request's id, held for the whole run on
    /// one connection, keeps two runners apart and dies with its process.
    /// - Returns: the request as it ended, or nil if another runner holds it or it was not open.
    public func runPrivacyRequest(_ id: String) async throws -> PrivacyRequest? {
        try await client.withConnection { connection in
            let lock = "rapport.privacy." + id
            let locked = try await connection.query("SELECT pg_try_advisory_lock(hashtextextended(\(lock), 0))", logger: logger)
            var held = false
            for try await ok in locked.decode(Bool.self) { held = ok }
            guard held else { return nil }
            do {
                let result = try await runClaimed(id, on: connection)
                try await connection.query("SELECT pg_advisory_unlock(hashtextextended(\(lock), 0))", logger: logger)
                return result
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(hashtextextended(\(lock), 0))", logger: logger)
                throw error
            }
        }
    }

    private func runClaimed(_ id: String, on connection: PostgresConnection) async throws -> PrivacyRequest? {
        let claimed = try await connection.query("""
            UPDATE rapport.privacy_requests SET status = 'running', started_at = coalesce(started_at, now()), attempts = attempts + 1
            WHERE id = \(id) AND status IN ('pending', 'running')
              AND tenant_id IN (SELECT t.id FROM rapport.tenants t WHERE t.state = 'ready')
            RETURNING \(unescaped: Self.requestColumns)
            """, logger: logger)
        guard var request = try await Self.decodeRequests(claimed).first, let value = request.subjectValue else { return nil }
        var tenantID: Int64 = 0
        for try await owner in try await connection.query(
            "SELECT tenant_id FROM rapport.privacy_requests WHERE id = \(id)", logger: logger).decode(Int64.self) { tenantID = owner }
        guard let tenant = try await tenant(id: tenantID, on: connection) else { return nil }
        let subject = PrivacySubject(kind: request.subjectKind, value: value)
        var reached: [String] = []
        do {
            switch request.type {
            case .erasure: (request.counts, reached) = try await erase(subject, request: request, tenant: tenant, on: connection)
            case .export: (request.counts, reached) = try await export(subject, request: request, tenant: tenant, on: connection)
            case .suppress: (request.counts, reached) = try await suppress(subject, request: request, tenant: tenant, on: connection)
            case .unsuppress: (request.counts, reached) = try await unsuppress(subject, request: request, tenant: tenant, on: connection)
            }
            request.status = .completed
        } catch where Task.isCancelled {
            // The process is stopping: leave the request running for the next start to resume.
            throw error
        } catch {
            request.status = .failed
            request.error = (error as? PrivacyRunFailure)?.description
                ?? "The request could not be carried out (\((error as? StoreError)?.description ?? "a database error; see the server log")). File it again."
            logger.error("a privacy request failed", metadata: ["request": "\(id)", "error": "\(String(reflecting: error))"])
            if request.type == .export {
                _ = try? await connection.query("DELETE FROM rapport.privacy_exports WHERE request_id = \(id)", logger: logger)
            }
        }
        let counts = String(decoding: try JSONEncoder().encode(request.counts), as: UTF8.self)
        let (status, error) = (request.status.rawValue, request.error)
        let logger = self.logger
        let ended = try await Self.inTransaction(on: connection, logger: logger) { connection in
            let rows = try await connection.query("""
                UPDATE rapport.privacy_requests
                SET status = \(status), subject_value = NULL, completed_at = now(), error = \(error),
                    -- What an earlier attempt committed (an erasure's deletion, then a crash) wins
                    -- over a resumed attempt's zeros.
                    counts = \(counts)::jsonb || counts,
                    reached_hashes = ARRAY(SELECT DISTINCT r FROM unnest(reached_hashes || ARRAY(
                        SELECT decode(h, 'hex') FROM unnest(\(reached)::text[]) h)) r)
                WHERE id = \(id)
                RETURNING \(unescaped: Self.requestColumns)
                """, logger: logger)
            guard let ended = try await Self.decodeRequests(rows).first else { throw PrivacyError.requestNotFound(id) }
            try await auditPrivacy(ended, action: ended.status.rawValue, actor: "rapport", tenant: tenant, counts: ended.counts, on: connection)
            return ended
        }
        Counter(label: "rapport_privacy_requests_total", dimensions: [("type", request.type.rawValue), ("status", status)]).increment()
        if request.type == .erasure {
            // The row version that held the identifier in clear goes from the table file too.
            try await connection.query("VACUUM rapport.privacy_requests", logger: logger)
        }
        return ended
    }

    func tenant(id: Int64, on connection: PostgresConnection) async throws -> Tenant? {
        try await Self.firstTenant(connection.query("SELECT id, slug, name, created_at FROM rapport.tenants WHERE id = \(id) AND state = 'ready'", logger: logger))
    }

    /// Runs `body` in a transaction on `connection`. Callers care about what failed, not that it
    /// failed inside a transaction: the error thrown is the one underneath.
    static func inTransaction<R: Sendable>(on connection: PostgresConnection, logger: Logger,
                                           _ body: (PostgresConnection) async throws -> R) async throws -> R {
        try await connection.query("BEGIN", logger: logger)
        let value: R
        do {
            value = try await body(connection)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
        // A statement that fails after it has begun to answer (a SELECT whose rows nobody read,
        // such as a function called for its effect) throws nothing, but leaves the transaction
        // aborted; COMMIT then answers ROLLBACK, which must not pass for success.
        let tag = NIOLockedValueBox<String?>(nil)
        try await connection.query("COMMIT", [], onMetadata: { metadata in tag.withLockedValue { $0 = metadata.command } },
                                   onRow: { _ in }).get()
        if tag.withLockedValue({ $0 }) == "ROLLBACK" {
            throw StoreError.database("The database rolled the change back.",
                                      underlying: "a statement failed after it began to answer, and COMMIT answered ROLLBACK")
        }
        return value
    }

    /// Runs `body` in a transaction on `connection` confined to `tenant` (see ``withTenant(_:readOnly:_:)``).
    func inTenant<R: Sendable>(_ tenant: Tenant, snapshot: Bool = false, on connection: PostgresConnection,
                               _ body: (PostgresConnection) async throws -> R) async throws -> R {
        let logger = self.logger
        return try await Self.inTransaction(on: connection, logger: logger) { connection in
            // Otherwise each statement sees what committed before it, whatever the database's
            // default: an erasure that waited for a delivery's take must see the records it moved.
            try await connection.query(snapshot ? "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
                                                : "SET TRANSACTION ISOLATION LEVEL READ COMMITTED", logger: logger)
            try await enterTenant(tenant, on: connection)
            try await connection.query("SET LOCAL TimeZone TO 'UTC'", logger: logger)
            return try await body(connection)
        }
    }

    // MARK: The subject

    /// Everything the identity graph reaches from one identifier, inside a tenant transaction.
    struct Reach {
        /// The live profile and every profile merged into it, at any depth.
        var profiles: [Int64] = []
        var live: [Int64] = []
        /// Every identifier of those profiles, and the one the request named.
        var identifiers: [IdentityKey] = []
    }

    static func reach(_ subject: PrivacySubject, on connection: PostgresConnection, logger: Logger) async throws -> Reach {
        var reach = Reach()
        let rows = try await connection.query("""
            WITH RECURSIVE up (id, merged_into) AS (
                SELECT p.id, p.merged_into FROM profiles p
                WHERE p.id IN (SELECT profile_id FROM identities WHERE kind = \(subject.kind) AND value = \(subject.value))
                UNION
                SELECT p.id, p.merged_into FROM profiles p JOIN up ON p.id = up.merged_into
            ), down (id) AS (
                SELECT id FROM up WHERE merged_into IS NULL
                UNION
                SELECT p.id FROM profiles p JOIN down ON p.merged_into = down.id
            )
            SELECT d.id, p.merged_into IS NULL FROM down d JOIN profiles p ON p.id = d.id ORDER BY d.id
            """, logger: logger)
        for try await (id, live) in rows.decode((Int64, Bool).self) {
            reach.profiles.append(id)
            if live { reach.live.append(id) }
        }
        var identifiers: Set<IdentityKey> = [IdentityKey(subject.kind, subject.value)]
        let held = try await connection.query(
            "SELECT kind, value FROM identities WHERE profile_id = ANY(\(reach.profiles))", logger: logger)
        for try await (kind, value) in held.decode((String, String).self) { identifiers.insert(IdentityKey(kind, value)) }
        reach.identifiers = identifiers.sorted()
        return reach
    }

    // MARK: Erasure

    /// Art. 17. In one transaction that holds the tenant's ingestion lock: suppress every
    /// identifier reached, then delete the profiles, identities, events (any timestamp), merge
    /// log rows, conflicts, blocks and group memberships. Then the subject's earlier exports go,
    /// the tables are vacuumed, and a verification pass must find none of the subject's
    /// identifiers or distinctive trait values anywhere in the tenant's tables or the control
    /// schema, or the request fails.
    func erase(_ subject: PrivacySubject, request: PrivacyRequest, tenant: Tenant,
               on connection: PostgresConnection) async throws -> ([String: Int64], [String]) {
        let hasher = try await identifierHasher(tenant)
        let logger = self.logger
        let clock = ContinuousClock()
        let started = clock.now
        func ms(since start: ContinuousClock.Instant) -> Int64 {
            let d = clock.now - start
            return d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
        }
        // One transaction: if anything fails, nothing is deleted; once it commits, everything is.
        let (counts, identifiers, hashes, traitValues) = try await inTenant(tenant, on: connection) { connection in
            // Ingestion waits here and, once this commits, meets the suppressions.
            try await Self.lockIngestion(on: connection, logger: logger)
            _ = try await Self.advanceIngestEpoch(on: connection, logger: logger)
            try await Self.lockActivation(on: connection, logger: logger)
            let reach = try await Self.reach(subject, on: connection, logger: logger)
            let values = try await Self.distinctiveTraitValues(of: reach.profiles, on: connection, logger: logger)
            var counts: [String: Int64] = ["profiles_reached": Int64(reach.live.count)]
            for (destination, exits) in try await Self.queueErasureExits(of: reach.profiles, request: request.id, on: connection, logger: logger) {
                counts["exits_queued.\(destination)"] = exits
            }
            counts["identifiers_suppressed"] = try await Self.insertSuppressions(
                reach.identifiers, hasher: hasher, request: request.id, on: connection, logger: logger)
            let (ids, kinds, keys) = (reach.profiles, reach.identifiers.map(\.kind), reach.identifiers.map(\.value))
            // Profiles that keep events of the subject's (merged in, then unmerged) lose them:
            // their summaries are recomputed once those are gone.
            var touched: [Int64] = []
            for try await id in try await connection.query("""
                SELECT DISTINCT profile_id FROM events WHERE origin_profile_id = ANY(\(ids)) AND NOT profile_id = ANY(\(ids))
                """, logger: logger).decode(Int64.self) { touched.append(id) }
            let statements: [(String, PostgresQuery)] = [
                ("events", "DELETE FROM events WHERE profile_id = ANY(\(ids)) OR origin_profile_id = ANY(\(ids))"),
                ("event_summaries", "DELETE FROM event_summaries WHERE profile_id = ANY(\(ids))"),
                ("profile_summaries", "DELETE FROM profile_summaries WHERE profile_id = ANY(\(ids))"),
                ("order_days", "DELETE FROM order_days WHERE profile_id = ANY(\(ids))"),
                ("identities", "DELETE FROM identities WHERE profile_id = ANY(\(ids))"),
                ("identity_conflicts", """
                    DELETE FROM identity_conflicts WHERE profile_id = ANY(\(ids)) OR other_profile_id = ANY(\(ids))
                    OR (kind, value) IN (SELECT * FROM unnest(\(kinds)::text[], \(keys)::text[]))
                    """),
                ("merges", """
                    DELETE FROM merges WHERE survivor_id = ANY(\(ids)) OR merged_id = ANY(\(ids))
                    OR (kind, value) IN (SELECT * FROM unnest(\(kinds)::text[], \(keys)::text[]))
                    """),
                ("merge_blocks", "DELETE FROM merge_blocks WHERE profile_a = ANY(\(ids)) OR profile_b = ANY(\(ids))"),
                ("group_members", "DELETE FROM group_members WHERE profile_id = ANY(\(ids))"),
                ("profiles", "DELETE FROM profiles WHERE id = ANY(\(ids))"),
            ]
            for (table, statement) in statements {
                var deleting = statement
                deleting.sql = "WITH gone AS (\(statement.sql) RETURNING 1) SELECT count(*) FROM gone"
                for try await n in try await connection.query(deleting, logger: logger).decode(Int64.self) {
                    counts["\(table)_deleted"] = n
                }
            }
            if !touched.isEmpty {
                let summaries = try await Self.summaryState(on: connection, logger: logger)
                try await Self.recomputeSummaries(of: touched, flows: summaries.flows, on: connection, logger: logger)
            }
            // The control schema's part, in the same transaction: the subject's earlier exports
            // go, open requests naming the subject are cancelled, and what was deleted is recorded.
            try await connection.query("RESET ROLE", logger: logger)
            let hashes = reach.identifiers.map(hasher.hash)
            let exports = try await connection.query("""
                WITH gone AS (
                    DELETE FROM rapport.privacy_exports WHERE request_id IN (
                        SELECT id FROM rapport.privacy_requests
                        WHERE tenant_id = \(tenant.id) AND type = 'export' AND id <> \(request.id)
                          AND (encode(subject_hash, 'hex') = ANY(\(hashes))
                               OR EXISTS (SELECT 1 FROM unnest(reached_hashes) r WHERE encode(r, 'hex') = ANY(\(hashes)))))
                    RETURNING request_id)
                SELECT count(DISTINCT request_id) FROM gone
                """, logger: logger)
            for try await n in exports.decode(Int64.self) { counts["exports_deleted"] = n }
            let cancelled = try await connection.query("""
                WITH gone AS (
                    UPDATE rapport.privacy_requests SET status = 'cancelled', subject_value = NULL, completed_at = now(),
                        error = 'Cancelled: the subject was erased by ' || \(request.id) || '.'
                    WHERE tenant_id = \(tenant.id) AND status = 'pending' AND id <> \(request.id)
                      AND encode(subject_hash, 'hex') = ANY(\(hashes))
                    RETURNING id, type, subject_kind, subject_hash),
                audited AS (
                    INSERT INTO rapport.audit_log (tenant, tenant_id, actor, action, details)
                    SELECT \(tenant.slug), \(tenant.id), 'rapport', 'privacy.' || type || '.cancelled',
                           jsonb_build_object('request', id, 'subject_kind', subject_kind, 'subject_hash', encode(subject_hash, 'hex'),
                                              'error', 'Cancelled: the subject was erased by ' || \(request.id) || '.')
                    FROM gone RETURNING 1)
                SELECT count(*) FROM gone
                """, logger: logger)
            for try await n in cancelled.decode(Int64.self) where n > 0 { counts["requests_cancelled"] = n }
            let recorded = String(decoding: try JSONEncoder().encode(counts), as: UTF8.self)
            try await connection.query("""
                UPDATE rapport.privacy_requests
                SET counts = counts || \(recorded)::jsonb,
                    reached_hashes = ARRAY(SELECT DISTINCT r FROM unnest(reached_hashes || ARRAY(
                        SELECT decode(h, 'hex') FROM unnest(\(hashes)::text[]) h)) r)
                WHERE id = \(request.id)
                """, logger: logger)
            return (counts, reach.identifiers, hashes, values)
        }
        var all = counts
        all["delete_ms"] = ms(since: started)

        let vacuumStarted = clock.now
        all["vacuumed_tables"] = Int64(try await vacuum(tenant, on: connection))
        all["vacuum_ms"] = ms(since: vacuumStarted)

        // Lower-cased by PostgreSQL, as the rows it searches are (its lower() may differ from Swift's).
        var needles: [String] = []
        let lowered = try await connection.query(
            "SELECT DISTINCT lower(v) FROM unnest(\(identifiers.map(\.value) + traitValues)::text[]) v ORDER BY 1", logger: logger)
        for try await needle in lowered.decode(String.self) { needles.append(needle) }
        // A receiver's answer kept with other records (the delivery log, a batch's waiting
        // records, dead letters) may quote the subject: it goes.
        try await inTenant(tenant, on: connection) { connection in
            for (table, column) in [("sync_deliveries", "error"), ("sync_batches", "last_error"), ("sync_dead_letters", "last_error")] {
                try await connection.query(PostgresQuery(unsafeSQL: """
                    UPDATE \(table) SET \(column) = '(removed by an erasure)'
                    WHERE \(column) IS NOT NULL AND EXISTS (SELECT 1 FROM unnest($1::text[]) v WHERE strpos(lower(\(column)), v) > 0)
                    """, binds: { var b = PostgresBindings(); b.append(needles); return b }()), logger: logger)
            }
        }
        let verifyStarted = clock.now
        let hits = try await verify(needles, tenant: tenant, excluding: request.id, on: connection)
        all["verify_ms"] = ms(since: verifyStarted)
        all["verification_values"] = Int64(needles.count)
        all["verification_hits"] = Int64(hits.values.reduce(0, +))
        guard hits.isEmpty else {
            let places = hits.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            throw PrivacyRunFailure(description: """
                The data was deleted, but verification still found the subject's identifiers or trait values in \
                \(places) (rows). Remove those mentions (a saved definition, another person's event?) and file the erasure again.
                """)
        }
        return (all, hashes)
    }

    /// The subject's text trait values that no other profile holds (a city or a plan is not
    /// the subject's alone), at least 4 characters long: what verification searches for besides
    /// the identifiers.
    static func distinctiveTraitValues(of profiles: [Int64], on connection: PostgresConnection, logger: Logger) async throws -> [String] {
        let rows = try await connection.query("""
            WITH mine AS (
                SELECT DISTINCT t.value FROM profiles p, jsonb_each_text(p.traits) t
                WHERE p.id = ANY(\(profiles)) AND jsonb_typeof(p.traits -> t.key) = 'string' AND length(t.value) >= 4
            )
            SELECT value FROM mine
            WHERE NOT EXISTS (
                SELECT 1 FROM profiles o, jsonb_each_text(o.traits) t
                WHERE o.id <> ALL(\(profiles)) AND t.value = mine.value)
            """, logger: logger)
        var values: [String] = []
        for try await value in rows.decode(String.self) { values.append(value) }
        return values
    }

    /// Stores the keyed hash of each identifier in `suppressions`; one already there passes to
    /// this request (the latest request about an identifier answers for it, and counts what it
    /// drops). Returns how many identifiers this request suppresses.
    static func insertSuppressions(_ identifiers: [IdentityKey], hasher: IdentifierHasher, request: String,
                                   on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        let hashes = identifiers.map(hasher.hash), kinds = identifiers.map(\.kind)
        let rows = try await connection.query("""
            WITH added AS (
                INSERT INTO suppressions (hash, kind, request_id)
                SELECT decode(h, 'hex'), k, \(request) FROM unnest(\(hashes)::text[], \(kinds)::text[]) AS s (h, k)
                ON CONFLICT (hash) DO UPDATE SET request_id = excluded.request_id RETURNING 1)
            SELECT count(*) FROM added
            """, logger: logger)
        for try await n in rows.decode(Int64.self) { return n }
        return 0
    }

    static let erasedTables = ["events", "event_summaries", "profile_summaries", "order_days", "identities", "identity_conflicts", "merges", "merge_blocks", "group_members", "profiles"]

    /// VACUUM (ANALYZE) of the tables an erasure deletes from, as the tenant's role (their
    /// owner), so the deleted rows' space is reclaimed and the planner's statistics (which
    /// sample column values) no longer hold them; then the control table that held exports.
    /// - Returns: how many tables were vacuumed.
    func vacuum(_ tenant: Tenant, on connection: PostgresConnection) async throws -> Int {
        try await vacuum(Self.erasedTables, of: tenant, on: connection)
        try await connection.query("VACUUM (ANALYZE) rapport.privacy_exports", logger: logger)
        // rapport.privacy_requests is vacuumed once the request's own identifier is cleared (runClaimed).
        return Self.erasedTables.count + 1
    }

    /// VACUUM (ANALYZE) of `tables` of the tenant's schema, as the tenant's role (their owner),
    /// on a connection outside a transaction (as VACUUM must be).
    func vacuum(_ tables: [String], of tenant: Tenant, on connection: PostgresConnection) async throws {
        let schema = quoteIdentifier(tenant.schema)
        try await connection.query("SET ROLE \(unescaped: quoteIdentifier(tenant.role))", logger: logger)
        do {
            for table in tables {
                try await connection.query("VACUUM (ANALYZE) \(unescaped: schema).\(unescaped: table)", logger: logger)
            }
            try await connection.query("RESET ROLE", logger: logger)
        } catch {
            _ = try? await connection.query("RESET ROLE", logger: logger)
            throw error
        }
    }

    /// Rows, per table, that still hold one of `needles` (lower-cased): as the whole value of a
    /// text column or of a text anywhere inside a JSON column, or, for needles of 6
    /// characters or more that are not all digits (emails, long ids), anywhere in the row's text as
    /// a whole word (`user-11` does not match `user-110`). Every table
    /// of the tenant's schema is searched, and the control schema's requests (but `excluding`'s
    /// own row, which holds the subject until it ends), exports and audit log.
    func verify(_ needles: [String], tenant: Tenant, excluding request: String,
                on connection: PostgresConnection) async throws -> [String: Int64] {
        guard !needles.isEmpty else { return [:] }
        let logger = self.logger
        // (Digits alone are left to exact matches: a numeric id could be any timestamp's microseconds.)
        let long = needles.filter { $0.count >= 6 && $0.contains { !$0.isNumber } }
        var hits = try await inTenant(tenant, on: connection) { connection in
            var hits: [String: Int64] = [:]
            for (table, columns) in try await Self.tables(schema: nil, on: connection, logger: logger) {
                // The exits this erasure queued hold the subject until they are delivered.
                let scope: (String, [any PostgresEncodable & Sendable]) = table == "sync_outbox"
                    ? ("t.erasure IS DISTINCT FROM $5 AND ", [request]) : ("", [])
                let n = try await Self.countHolding(needles, long: long, table: quoteIdentifier(table), columns: columns, scope: scope,
                                                    on: connection, logger: logger)
                if n > 0 { hits[table] = n }
            }
            return hits
        }
        // The control schema's rows of this tenant only.
        for (table, columns) in try await Self.tables(schema: "rapport", on: connection, logger: logger)
        where ["privacy_requests", "audit_log"].contains(table) {
            let scope: (String, [any PostgresEncodable & Sendable]) = table == "privacy_requests"
                ? ("t.id <> $5 AND t.tenant_id = $6 AND ", [request, tenant.id])
                : ("t.tenant_id = $5 AND ", [tenant.id])
            let n = try await Self.countHolding(needles, long: long, table: "rapport." + quoteIdentifier(table), columns: columns,
                                                scope: scope, on: connection, logger: logger)
            if n > 0 { hits["rapport." + table] = n }
        }
        // An export is JSON text: a short needle counts as a quoted JSON string.
        let quoted = needles.map { "\"" + $0 + "\"" }
        let exports = try await connection.query("""
            SELECT count(*) FROM rapport.privacy_exports t
            WHERE t.request_id IN (SELECT id FROM rapport.privacy_requests WHERE tenant_id = \(tenant.id))
              AND (EXISTS (SELECT 1 FROM unnest(\(quoted)::text[]) v WHERE strpos(lower(convert_from(t.data, 'UTF8')), v) > 0)
               OR EXISTS (SELECT 1 FROM unnest(\(long)::text[], \(long.map(Self.wholeWord))::text[]) AS v (needle, word)
                          WHERE strpos(lower(convert_from(t.data, 'UTF8')), v.needle) > 0 AND lower(convert_from(t.data, 'UTF8')) ~ v.word))
            """, logger: logger)
        for try await n in exports.decode(Int64.self) where n > 0 { hits["rapport.privacy_exports"] = n }
        return hits
    }

    /// The ordinary tables of `schema` (the current one if nil), each with its text and JSON columns.
    static func tables(schema: String?, on connection: PostgresConnection,
                       logger: Logger) async throws -> [(String, [(name: String, json: Bool)])] {
        let rows = try await connection.query("""
            SELECT c.relname::text, a.attname::text, a.atttypid IN ('jsonb'::regtype, 'json'::regtype)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE n.nspname = coalesce(\(schema), current_schema()) AND c.relkind = 'r'
              AND a.atttypid IN ('text'::regtype, 'varchar'::regtype, 'jsonb'::regtype, 'json'::regtype)
            ORDER BY 1, a.attnum
            """, logger: logger)
        var tables: [(String, [(name: String, json: Bool)])] = []
        for try await (table, column, json) in rows.decode((String, String, Bool).self) {
            if tables.last?.0 != table { tables.append((table, [])) }
            tables[tables.count - 1].1.append((column, json))
        }
        return tables
    }

    /// The longest part of `text` without `"` or `\`, which a row's text shows as they are.
    static func literalRun(_ text: String) -> String {
        let runs = text.split(whereSeparator: { $0 == "\"" || $0 == "\\" }).map(String.init)
        return runs.max(by: { $0.count < $1.count }) ?? text
    }

    /// A regular expression for `text` standing alone: not next to a letter or digit.
    static func wholeWord(_ text: String) -> String {
        let escaped = text.map { $0.isLetter || $0.isNumber ? String($0) : "\\" + String($0) }.joined()
        return "(^|[^[:alnum:]])" + escaped + "($|[^[:alnum:]])"
    }

    static func countHolding(_ needles: [String], long: [String], table: String, columns: [(name: String, json: Bool)],
                             scope: (sql: String, binds: [any PostgresEncodable & Sendable]) = ("", []),
                             on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        // Each row's text once; only rows holding a needle somewhere get the precise checks.
        var precise = ["""
            EXISTS (SELECT 1 FROM unnest($2::text[], $3::text[]) AS v (needle, word)
                    WHERE strpos(x.txt, v.needle) > 0 AND x.txt ~ v.word)
            """]
        for column in columns {
            let c = "t." + quoteIdentifier(column.name)
            precise.append(column.json
                ? "EXISTS (SELECT 1 FROM jsonb_path_query((\(c))::jsonb, 'strict $.**') j WHERE jsonb_typeof(j) = 'string' AND lower(j #>> '{}') = ANY($1))"
                : "lower(\(c)) = ANY($1)")
        }
        var binds = PostgresBindings()
        binds.append(needles)
        binds.append(long)
        binds.append(long.map(Self.wholeWord))
        // A row's text escapes `"` and `\`: the pre-filter looks for the longest run of the needle without them.
        binds.append(needles.map(Self.literalRun))
        for value in scope.binds { try binds.append(value) }
        let query = PostgresQuery(unsafeSQL: """
            SELECT count(*) FROM \(table) t, LATERAL (SELECT lower(t::text) AS txt OFFSET 0) x
            WHERE \(scope.sql)CASE WHEN EXISTS (SELECT 1 FROM unnest($4::text[]) v WHERE strpos(x.txt, v) > 0)
                THEN (\(precise.joined(separator: " OR "))) ELSE false END
            """, binds: binds)
        for try await n in try await connection.query(query, logger: logger).decode(Int64.self) { return n }
        return 0
    }

    // MARK: Activation

    /// Runs of syncs hold this lock shared; an erasure or suppression holds it alone, so that a
    /// run never queues a record for someone being erased.
    static func lockActivation(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            "SELECT pg_advisory_xact_lock(hashtextextended('rapport.privacy.' || current_schema(), 0))", logger: logger)
    }

    /// Queues an exit for every sync that delivered one of `profiles` or queued its entry (so
    /// that its destination can remove the person; an entry still kept in S was never sent),
    /// then removes everything else of theirs from the syncs' state, outbox and dead letters.
    /// Returns the exits queued per destination.
    static func queueErasureExits(of profiles: [Int64], request: String, on connection: PostgresConnection,
                                  logger: Logger) async throws -> [String: Int64] {
        var told: [String: Int64] = [:]
        for try await (destination, n) in try await connection.query("""
            WITH exits AS (
                INSERT INTO sync_outbox (destination, sync_id, sync_name, run, profile_id, kind, message_id, payload, erasure)
                SELECT s.destination, s.id, s.name, s.runs, t.profile_id, 'exited',
                       md5(s.id::text || '/erasure/' || \(request) || '/' || t.profile_id::text)::uuid,
                       json_build_object('kind', 'exited', 'sync', s.name, 'profile_id', t.profile_id,
                           'user_id', (SELECT i.value FROM identities i WHERE i.profile_id = ANY(\(profiles)) AND i.kind = 'user_id' ORDER BY i.last_seen DESC, i.value LIMIT 1),
                           'email', (SELECT i.value FROM identities i WHERE i.profile_id = ANY(\(profiles)) AND i.kind = 'email' ORDER BY i.last_seen DESC, i.value LIMIT 1),
                           'fields', t.fields, 'at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), 'send', s.send,
                           'reason', 'erasure',
                           'message_id', md5(s.id::text || '/erasure/' || \(request) || '/' || t.profile_id::text)::uuid),
                       \(request)
                -- S is read by its key, sync by sync (it has no index on the profile alone: that
                -- index cost a first run of 200,000 members a tenth of its time).
                FROM syncs s JOIN LATERAL (
                    SELECT * FROM sync_state t WHERE t.sync_id = s.id AND t.profile_id = ANY(\(profiles))) t ON true
                -- An entry still kept in S was never sent: the destination has nothing to remove.
                WHERE NOT \(unescaped: Self.isKeptEntry())
                ORDER BY t.profile_id
                RETURNING destination)
            SELECT destination, count(*) FROM exits GROUP BY destination
            """, logger: logger).decode((String, Int64).self) {
            told[destination] = n
        }
        try await connection.query(
            "DELETE FROM sync_state WHERE sync_id = ANY(ARRAY(SELECT id FROM syncs)) AND profile_id = ANY(\(profiles))", logger: logger)
        try await connection.query(
            "DELETE FROM sync_outbox WHERE profile_id = ANY(\(profiles)) AND erasure IS DISTINCT FROM \(request)", logger: logger)
        try await connection.query("DELETE FROM sync_dead_letters WHERE profile_id = ANY(\(profiles))", logger: logger)
        try await connection.query("DELETE FROM suppressed_profiles WHERE profile_id = ANY(\(profiles))", logger: logger)
        return told
    }

    // MARK: Suppression

    /// Suppresses every identifier the graph reaches from the subject (and the subject's own,
    /// known or not); what is held stays.
    func suppress(_ subject: PrivacySubject, request: PrivacyRequest, tenant: Tenant,
                  on connection: PostgresConnection) async throws -> ([String: Int64], [String]) {
        let hasher = try await identifierHasher(tenant)
        let logger = self.logger
        return try await inTenant(tenant, on: connection) { connection in
            try await Self.lockIngestion(on: connection, logger: logger)
            _ = try await Self.advanceIngestEpoch(on: connection, logger: logger)
            try await Self.lockActivation(on: connection, logger: logger)
            let reach = try await Self.reach(subject, on: connection, logger: logger)
            let added = try await Self.insertSuppressions(reach.identifiers, hasher: hasher, request: request.id, on: connection, logger: logger)
            // Syncs leave the reached profiles out of their audiences from their next run on.
            try await connection.query("""
                INSERT INTO suppressed_profiles (profile_id, request_id) SELECT unnest(\(reach.profiles)::bigint[]), \(request.id)
                ON CONFLICT DO NOTHING
                """, logger: logger)
            return (["identifiers_suppressed": added, "profiles_reached": Int64(reach.live.count)], reach.identifiers.map(hasher.hash))
        }
    }

    /// Lifts the suppression of the subject's identifier and of every identifier the same
    /// request(s) suppressed with it. Nothing erased comes back.
    func unsuppress(_ subject: PrivacySubject, request: PrivacyRequest, tenant: Tenant,
                    on connection: PostgresConnection) async throws -> ([String: Int64], [String]) {
        let hash = try await identifierHasher(tenant).hash(kind: subject.kind, value: subject.value)
        let logger = self.logger
        return try await inTenant(tenant, on: connection) { connection in
            try await Self.lockIngestion(on: connection, logger: logger)
            _ = try await Self.advanceIngestEpoch(on: connection, logger: logger)
            let rows = try await connection.query("""
                WITH target AS (SELECT request_id FROM suppressions WHERE hash = decode(\(hash), 'hex')),
                gone AS (
                    DELETE FROM suppressions
                    WHERE hash = decode(\(hash), 'hex') OR request_id IN (SELECT request_id FROM target WHERE request_id IS NOT NULL)
                    RETURNING encode(hash, 'hex') AS hash)
                SELECT hash FROM gone
                """, logger: logger)
            var lifted: [String] = []
            for try await hash in rows.decode(String.self) { lifted.append(hash) }
            try await connection.query("""
                DELETE FROM suppressed_profiles sp WHERE NOT EXISTS (SELECT 1 FROM suppressions s WHERE s.request_id = sp.request_id)
                """, logger: logger)
            return (["identifiers_unsuppressed": Int64(lifted.count)], lifted)
        }
    }
}
