import Foundation
import PostgresNIO
import RapportTestSupport
import Testing
@testable import RapportStore

/// The outbox as delivery reads it: a take reads a batch's worth of rows in id order whatever
/// the statistics say, a profile's records go one at a time in order, and a dropped or
/// re-targeted sync leaves no state or records behind (there are no foreign keys to do it).
@Suite(.enabled(if: TestDatabase.isConfigured, "needs scripts/test's PostgreSQL"))
struct OutboxTests {
    static let t0 = Timestamp.parse("2024-03-01T00:00:00Z")!

    static func identify(_ user: String, _ traits: String, at offset: Int64) -> IngestMessage {
        let json = #"{"type":"identify","userId":"\#(user)","traits":\#(traits),"messageId":"\#(user)-\#(offset)"}"#
        var m = try! MessageReader.line(Array(json.utf8), receivedAt: t0 + offset)
        m.source = "web"
        m.timestamp = t0 + offset
        return m
    }

    static func count(_ table: String, _ store: Store, _ tenant: Tenant) async throws -> Int64 {
        try await store.withTenant(tenant) { connection in
            var n: Int64 = -1
            for try await c in try await connection.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)"), logger: store.logger)
                .decode(Int64.self) { n = c }
            return n
        }
    }

    /// The kinds of a batch's records, from its payloads, in order.
    static func kinds(_ batch: OutboxBatch) -> [String] {
        let records = (try? JSONSerialization.jsonObject(with: Data(("[" + batch.payloads + "]").utf8))) as? [[String: Any]] ?? []
        return records.map { $0["kind"] as? String ?? "?" }
    }

    /// A tenant with `count` pro users (`users`0 …, each with an email), a webhook destination
    /// `hook` that nothing listens on, and a sync `pros` of them to it selecting `select`.
    static func tenantWithSync(_ store: Store, users: String, count: Int, select: String) async throws -> Tenant {
        let tenant = try await store.createTenant(slug: uniqueSlug("outbox"), name: "Outbox", actor: "test")
        _ = try await store.ingest((0..<count).map {
            Self.identify("\(users)\($0)", #"{"email":"\#(users)\#($0)@example.com","plan":"pro"}"#, at: Int64($0))
        }, tenant: tenant)
        _ = try await store.addDestination(name: "hook", kind: .webhook, url: "http://127.0.0.1:9/hook", writeKey: nil,
                                           settings: DestinationSettings(), allowPrivate: true, tenant: tenant, actor: "test")
        _ = try await store.query("sync pros to hook = profiles | where plan = \"pro\" | select \(select) manually", tenant: tenant)
        return tenant
    }

    static func column(_ sql: String, _ store: Store, _ tenant: Tenant) async throws -> [Int64] {
        try await store.withTenant(tenant) { connection in
            var values: [Int64] = []
            for try await value in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: store.logger).decode(Int64.self) {
                values.append(value)
            }
            return values
        }
    }

    static func execute(_ sql: String, _ store: Store, _ tenant: Tenant) async throws {
        try await store.withTenant(tenant) { connection in
            for statement in sql.split(separator: ";") {
                try await connection.query(PostgresQuery(unsafeSQL: String(statement)), logger: store.logger)
            }
        }
    }

    @Test func aProfilesRecordsGoOneAtATimeInOrderAndATakeReadsByIndex() async throws {
        let database = try await TestDatabase.create()
        try await Store.withStore(.url(database.url), logger: TestDatabase.logger) { store in
            let tenant = try await Self.tenantWithSync(store, users: "u", count: 40, select: "email, plan")
            let first = try await store.runSync("pros", tenant: tenant)
            #expect(first.entered == 40 && first.queued == 40)
            // u3 changes a selected field before anything is delivered: two records of one profile wait.
            _ = try await store.ingest([Self.identify("u3", #"{"email":"u3@new.example.com"}"#, at: 100)], tenant: tenant)
            let second = try await store.runSync("pros", tenant: tenant)
            #expect(second.changed == 1 && second.queued == 1)

            // The take's pick, for a destination the statistics have never seen (a table so small
            // that a bitmap scan and a sort look cheaper): the order index from the start, no scan
            // of the table, no sort of its rows, no join over the backlog, no probe per row.
            let plan = try await store.withTenant(tenant) { connection in
                for setting in Store.takeSettings { try await connection.query(PostgresQuery(unsafeSQL: setting), logger: store.logger) }
                var binds = PostgresBindings()
                binds.append("hook")
                binds.append(1000)
                binds.append([Int64]())
                binds.append(500)
                binds.append(Int64.min)
                var lines: [String] = []
                for try await line in try await connection.query(PostgresQuery(unsafeSQL: "EXPLAIN " + Store.pickSQL, binds: binds),
                                                                 logger: store.logger).decode(String.self) { lines.append(line) }
                return lines.joined(separator: "\n")
            }
            #expect(plan.contains("Index Scan using sync_outbox_order") && !plan.contains("Seq Scan") && !plan.contains("Bitmap")
                    && !plan.contains("Sort Key: sync_outbox.id") && !plan.contains("Join") && !plan.contains("SubPlan"), "\(plan)")

            // What a finish reads of a batch's records: a range of the order index, not the
            // destination's records with the ids as a filter (that read all 200,000 records of a
            // destination fresh to the statistics at every finish).
            let finishPlan = try await store.withTenant(tenant) { connection in
                for setting in Store.takeSettings { try await connection.query(PostgresQuery(unsafeSQL: setting), logger: store.logger) }
                var binds = PostgresBindings()
                binds.append("hook")
                binds.append(Int64(1))
                binds.append(Int64(500))
                binds.append(Array(Int64(1)...Int64(500)))
                var lines: [String] = []
                for try await line in try await connection.query(PostgresQuery(unsafeSQL: "EXPLAIN " + Store.countRecordsSQL, binds: binds),
                                                                 logger: store.logger).decode(String.self) { lines.append(line) }
                return lines.joined(separator: "\n")
            }
            #expect(finishPlan.contains("Index Cond: ((destination = 'hook'::text) AND (id >= '1'::bigint) AND (id <= '500'::bigint)")
                    || finishPlan.contains("Index Cond: ((destination = 'hook'::text) AND (id >= 1) AND (id <= 500)"), "\(finishPlan)")

            // The worker's look for records in no batch, each second: the order index too.
            let lookPlan = try await store.withTenant(tenant) { connection in
                try await connection.query(PostgresQuery(unsafeSQL: Store.planSettings), logger: store.logger)
                var binds = PostgresBindings()
                binds.append("hook")
                binds.append([Int64]())
                var lines: [String] = []
                for try await line in try await connection.query(PostgresQuery(unsafeSQL: "EXPLAIN " + Store.hasFreeRecordsSQL, binds: binds),
                                                                 logger: store.logger).decode(String.self) { lines.append(line) }
                return lines.joined(separator: "\n")
            }
            #expect(lookPlan.contains("using sync_outbox_order") && !lookPlan.contains("Seq Scan"), "\(lookPlan)")

            // A take's read of its batches' records: each batch a range of the order index.
            let readPlan = try await store.withTenant(tenant) { connection in
                for setting in Store.takeSettings { try await connection.query(PostgresQuery(unsafeSQL: setting), logger: store.logger) }
                var binds = PostgresBindings()
                binds.append("hook")
                binds.append(Array(Int64(1)...Int64(1000)))
                binds.append([UUID(), UUID()])
                binds.append([Int64(1), Int64(501)])
                binds.append([Int64(500), Int64(1000)])
                binds.append(60)
                binds.append(Array(Int64(1)...Int64(1000)))
                var lines: [String] = []
                for try await line in try await connection.query(PostgresQuery(unsafeSQL: "EXPLAIN " + Store.makeBatchesSQL, binds: binds),
                                                                 logger: store.logger).decode(String.self) { lines.append(line) }
                return lines.joined(separator: "\n")
            }
            #expect(readPlan.contains("Index Cond: ((destination = 'hook'::text) AND (id >= r.first) AND (id <= r.last))"), "\(readPlan)")

            // Every first record goes before u3's change, which waits for u3's entry to be delivered.
            let batch = try #require(try await store.takeBatch(destination: "hook", size: 1000, timeout: 10, tenant: tenant))
            #expect(batch.records.count == 40 && Self.kinds(batch) == Array(repeating: "entered", count: 40))
            #expect(batch.records.map(\.id) == batch.records.map(\.id).sorted())
            #expect(try await store.takeBatch(destination: "hook", size: 1000, timeout: 10, tenant: tenant) == nil)
            try await store.finish(batch, outcome: .delivered(status: 200, rejected: []), ms: 1, retryWindow: 60, tenant: tenant)
            let next = try #require(try await store.takeBatch(destination: "hook", size: 1000, timeout: 10, tenant: tenant))
            #expect(Self.kinds(next) == ["changed"] && next.payloads.contains("u3@new.example.com"))

            // A batch is a row of its own: the records are not rewritten, and a batch that fails is
            // taken again under its key with the records still there (an erased one left out).
            #expect(try await Self.count("sync_batches", store, tenant) == 1)
            try await store.finish(next, outcome: .retry(status: 503, error: "HTTP 503", retryAfter: .zero), ms: 1, retryWindow: 60, tenant: tenant)
            let again = try #require(try await store.takeBatch(destination: "hook", size: 1000, timeout: 10, tenant: tenant))
            #expect(again.key == next.key && again.records.map(\.id) == next.records.map(\.id) && again.attempt == 2)
            try await store.finish(again, outcome: .delivered(status: 200, rejected: []), ms: 1, retryWindow: 60, tenant: tenant)
            #expect(try await Self.count("sync_batches", store, tenant) == 0)
            #expect(try await Self.count("sync_outbox", store, tenant) == 0)

            // Takes side by side get disjoint batches, and all of the records between them.
            _ = try await store.ingest((0..<40).map { Self.identify("u\($0)", #"{"email":"u\#($0)@third.example.com"}"#, at: 200 + Int64($0)) },
                                       tenant: tenant)
            #expect(try await store.runSync("pros", tenant: tenant).changed == 40)
            let lanes = try await withThrowingTaskGroup(of: OutboxBatch?.self) { group in
                for _ in 0..<4 { group.addTask { try await store.takeBatch(destination: "hook", size: 10, timeout: 10, tenant: tenant) } }
                return try await group.reduce(into: [OutboxBatch]()) { if let batch = $1 { $0.append(batch) } }
            }
            let taken = lanes.flatMap { $0.records.map(\.id) }
            #expect(lanes.count == 4 && Set(taken).count == 40 && Set(lanes.map(\.key)).count == 4)
            // A take from an id on reads nothing below it, and says the first id it read.
            let (none, start) = try await store.takeBatches(destination: "hook", size: 10, count: 1, timeout: 10, from: taken.max()! + 1,
                                                            tenant: tenant)
            #expect(none.isEmpty && start == nil)
            #expect(try await store.takeBatches(destination: "hook", size: 10, count: 1, timeout: 10, from: taken.min()!, tenant: tenant).first
                    == taken.min()!)
            // A batch whose records are all gone (a dropped sync, an erasure) goes when it is due again.
            try await store.finish(lanes[0], outcome: .retry(status: 500, error: "HTTP 500", retryAfter: .zero), ms: 1, retryWindow: 60, tenant: tenant)
            try await store.withTenant(tenant) { connection in
                try await connection.query("DELETE FROM sync_outbox WHERE id = ANY(\(lanes[0].records.map(\.id)))", logger: store.logger)
            }
            #expect(try await store.takeBatch(destination: "hook", size: 10, timeout: 10, tenant: tenant) == nil)
            #expect(try await Self.count("sync_batches", store, tenant) == 3)
            for batch in lanes.dropFirst() {
                try await store.finish(batch, outcome: .delivered(status: 200, rejected: []), ms: 1, retryWindow: 60, tenant: tenant)
            }
            #expect(try await Self.count("sync_batches", store, tenant) == 0)

            // An attempt whose lease ran out, and which another take sent again, changes nothing
            // when it ends: the batch is the new attempt's.
            _ = try await store.ingest([Self.identify("u5", #"{"email":"u5@fourth.example.com"}"#, at: 400)], tenant: tenant)
            #expect(try await store.runSync("pros", tenant: tenant).changed == 1)
            let stale = try #require(try await store.takeBatch(destination: "hook", size: 10, timeout: 10, tenant: tenant))
            try await Self.execute("UPDATE sync_batches SET leased_until = now() - interval '1 second'", store, tenant)
            let fresh = try #require(try await store.takeBatch(destination: "hook", size: 10, timeout: 10, tenant: tenant))
            #expect(fresh.key == stale.key && fresh.attempt == stale.attempt + 1)
            try await store.finish(stale, outcome: .refused(status: 400, error: "HTTP 400"), ms: 1, retryWindow: 60, tenant: tenant)
            try await store.finish(stale, outcome: .retry(status: 500, error: "HTTP 500", retryAfter: .seconds(30)), ms: 1, retryWindow: 60,
                                   tenant: tenant)
            #expect(try await Self.count("sync_batches", store, tenant) == 1)
            #expect(try await store.takeBatch(destination: "hook", size: 10, timeout: 10, tenant: tenant) == nil)  // still leased
            try await store.finish(fresh, outcome: .delivered(status: 200, rejected: []), ms: 1, retryWindow: 60, tenant: tenant)
            #expect(try await Self.count("sync_batches", store, tenant) == 0)
            #expect(try await Self.count("sync_outbox", store, tenant) == 0)

            // A record queued for a profile after its record in flight was deleted (an erasure's
            // exit, queued before it deletes the rest) waits for that batch to end.
            _ = try await store.ingest([Self.identify("u6", #"{"email":"u6@fifth.example.com"}"#, at: 500)], tenant: tenant)
            #expect(try await store.runSync("pros", tenant: tenant).changed == 1)
            let flight = try #require(try await store.takeBatch(destination: "hook", size: 10, timeout: 10, tenant: tenant))
            try await Self.execute("""
                INSERT INTO sync_outbox (destination, sync_id, sync_name, run, profile_id, kind, message_id, payload, erasure)
                SELECT destination, sync_id, sync_name, run, profile_id, 'exited', gen_random_uuid(), jsonb_set(payload::jsonb, '{kind}', '"exited"')::json,
                       'erasure-1'
                FROM sync_outbox;
                DELETE FROM sync_outbox WHERE erasure IS NULL
                """, store, tenant)
            #expect(try await store.takeBatch(destination: "hook", size: 10, timeout: 10, tenant: tenant) == nil)
            try await store.finish(flight, outcome: .retry(status: 500, error: "HTTP 500: no such user u6@fifth.example.com",
                                                           retryAfter: .seconds(30)), ms: 1, retryWindow: 60, tenant: tenant)
            // The receiver's answer, which may quote the erased person, is not kept.
            #expect(try await Self.count("sync_batches WHERE last_error LIKE '%u6@%'", store, tenant) == 0)
            #expect(try await Self.count("sync_deliveries WHERE error LIKE '%u6@%'", store, tenant) == 0)
            try await Self.execute("UPDATE sync_batches SET next_attempt_at = now() - interval '1 second'", store, tenant)
            let exit = try #require(try await store.takeBatch(destination: "hook", size: 10, timeout: 10, tenant: tenant))
            #expect(Self.kinds(exit) == ["exited"] && exit.key != flight.key)
            try await store.finish(exit, outcome: .delivered(status: 200, rejected: []), ms: 1, retryWindow: 60, tenant: tenant)
            #expect(try await Self.count("sync_batches", store, tenant) == 0)

            // Re-targeting the sync makes it a new one; dropping it leaves nothing of it.
            _ = try await store.addDestination(name: "other", kind: .webhook, url: "http://127.0.0.1:9/other", writeKey: nil,
                                               settings: DestinationSettings(), allowPrivate: true, tenant: tenant, actor: "test")
            _ = try await store.query(#"sync pros to other = profiles | where plan = "pro" | select email manually"#, tenant: tenant)
            #expect(try await Self.count("sync_state", store, tenant) == 0)
            #expect(try await Self.count("sync_outbox", store, tenant) == 0)
            #expect(try await store.runSync("pros", tenant: tenant).entered == 40)
            _ = try await store.query("drop sync pros", tenant: tenant)
            #expect(try await Self.count("sync_state", store, tenant) == 0)
            #expect(try await Self.count("sync_outbox", store, tenant) == 0)
        }
    }

    /// The move's Citus form (the records' identities as a grouped join, not a LATERAL probe
    /// per record) writes the same records as the form used on one server: run here, on plain
    /// PostgreSQL, one after the other on the same kept entries.
    @Test func theMovesCitusFormWritesTheSameRecords() async throws {
        let database = try await TestDatabase.create()
        try await Store.withStore(.url(database.url), logger: TestDatabase.logger) { store in
            let tenant = try await Self.tenantWithSync(store, users: "c", count: 12, select: "email")
            #expect(try await store.runSync("pros", tenant: tenant).entered == 12)
            // A second email for one person, seen later: whichever is newest, both forms agree.
            _ = try await store.ingest([Self.identify("c3", #"{"email":"c3.new@example.com"}"#, at: 100)], tenant: tenant)
            let ids = try await Self.column("SELECT profile_id FROM sync_state ORDER BY profile_id", store, tenant)
            var written: [[String]] = []
            for citus in [false, true] {
                written.append(try await store.withTenant(tenant) { connection in
                    let kept = try #require(try await Store.keptEntries(decoding: connection.query(
                        "SELECT \(unescaped: Store.keptColumns) FROM syncs", logger: store.logger)).first)
                    try await connection.query(Store.releaseQuery(kept, profiles: ids, citus: citus), logger: store.logger)
                    var rows: [String] = []
                    for try await row in try await connection.query(
                        "SELECT profile_id::text || ' ' || kind || ' ' || payload::text FROM sync_outbox ORDER BY id", logger: store.logger)
                        .decode(String.self) { rows.append(row) }
                    try await connection.query("DELETE FROM sync_outbox", logger: store.logger)
                    return rows
                })
            }
            #expect(written[0].count == 12 && written[0].allSatisfy { $0.contains("@example.com") })
            #expect(written[1] == written[0])
        }
    }

    /// A run's entries stay in its state (Grammar/README.md, "Syncs", step 6): a take moves as
    /// many as it is missing, in profile id order, reading them as a range of S's key; the next
    /// run moves the rest before its own records.
    @Test func keptEntriesAreMovedAsTakesNeedThemAndBeforeTheNextRun() async throws {
        let database = try await TestDatabase.create()
        try await Store.withStore(.url(database.url), logger: TestDatabase.logger) { store in
            let tenant = try await Self.tenantWithSync(store, users: "k", count: 30, select: "email")
            let first = try await store.runSync("pros", tenant: tenant)
            #expect(first.entered == 30 && first.queued == 30)
            #expect(try await Self.count("sync_outbox", store, tenant) == 0)
            #expect(try await Self.count("sync_state WHERE entry_run = 1", store, tenant) == 30)
            #expect(try await store.sync("pros", tenant: tenant).pending == 30)
            #expect(try await store.destinationsWithWork(tenant: tenant).map(\.0.name) == ["hook"])

            // The move's read, on a state the statistics have not seen: S's key from where it ended.
            let plan = try await store.withTenant(tenant) { connection in
                for setting in Store.takeSettings { try await connection.query(PostgresQuery(unsafeSQL: setting), logger: store.logger) }
                let kept = try #require(try await Store.keptEntries(decoding: connection.query(
                    "SELECT \(unescaped: Store.keptColumns) FROM syncs", logger: store.logger)).first)
                var lines: [String] = []
                let ids = try await Self.column("SELECT profile_id FROM sync_state ORDER BY profile_id LIMIT 10", store, tenant)
                for var explain in [Store.releasePickQuery(kept, limit: 10), Store.releaseQuery(kept, profiles: ids, citus: false)] {
                    explain.sql = "EXPLAIN " + explain.sql
                    for try await line in try await connection.query(explain, logger: store.logger).decode(String.self) { lines.append(line) }
                }
                return lines.joined(separator: "\n")
            }
            // The pick and the move: each a range of S's key (the move's ids a condition within
            // it: alone, they were planned as a filter over all of the sync's S).
            #expect(plan.components(separatedBy: "Index Scan using sync_state_pkey").count == 3 && !plan.contains("Seq Scan"), "\(plan)")
            #expect(plan.contains("(profile_id >= ") && plan.contains("(profile_id <= "), "\(plan)")

            // A take of 10 moves 10, the lowest profile ids, and sends them.
            let batch = try #require(try await store.takeBatch(destination: "hook", size: 10, timeout: 10, tenant: tenant))
            #expect(batch.records.count == 10 && Self.kinds(batch) == Array(repeating: "entered", count: 10))
            #expect(try await Self.count("sync_outbox", store, tenant) == 10)
            let moved = try await store.withTenant(tenant) { connection in
                var rows: [(Int64, Int64)] = []
                for try await row in try await connection.query("""
                    SELECT (SELECT max(profile_id) FROM sync_outbox), (SELECT min(profile_id) FROM sync_state t JOIN syncs s ON s.id = t.sync_id
                                                                       WHERE t.entry_run = s.pending_run AND t.profile_id >= s.pending_from)
                    """, logger: store.logger).decode((Int64, Int64).self) { rows.append(row) }
                return rows
            }
            #expect(moved.count == 1 && moved[0].0 < moved[0].1)
            #expect(try await store.sync("pros", tenant: tenant).pending == 30)
            try await store.finish(batch, outcome: .delivered(status: 200, rejected: []), ms: 1, retryWindow: 60, tenant: tenant)
            #expect(try await store.sync("pros", tenant: tenant).pending == 20)

            // The next run moves the other 20 first (its own change comes after them), and keeps nothing.
            _ = try await store.ingest([Self.identify("k29", #"{"email":"k29@new.example.com"}"#, at: 100)], tenant: tenant)
            let second = try await store.runSync("pros", tenant: tenant)
            #expect(second.changed == 1 && second.entered == 0 && second.queued == 1)
            let kinds = try await store.withTenant(tenant) { connection in
                var kinds: [String] = []
                for try await kind in try await connection.query("SELECT kind || ' ' || run FROM sync_outbox ORDER BY id", logger: store.logger)
                    .decode(String.self) { kinds.append(kind) }
                return kinds
            }
            #expect(kinds == Array(repeating: "entered 1", count: 20) + ["changed 2"])
            #expect(try await Self.count("syncs WHERE pending_run IS NULL", store, tenant) == 1)
            #expect(try await store.sync("pros", tenant: tenant).pending == 21)
        }
    }
}
