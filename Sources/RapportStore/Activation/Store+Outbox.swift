import Foundation
import PostgresNIO

/// Records taken from the outbox to send in one request.
public struct OutboxBatch: Sendable {
    public struct Record: Sendable {
        public var id: Int64
        public var messageID: String
    }

    /// The batch's key: its Idempotency-Key, the same each time these records are sent.
    public var key: UUID
    public var destination: String
    /// The records in id order.
    public var records: [Record]
    /// The records as JSON objects (Grammar/README.md, "Syncs": profile, ids, kind, fields,
    /// time, message id), in id order, separated by commas: a JSON array's inside, as the
    /// database wrote it (decoding each in Swift cost more than the database's work).
    public var payloads: String
    /// When the first of these records was first tried (the retry window runs from it).
    public var firstAttemptAt: Date
    public var attempt: Int
}

/// A dead letter as an admin lists it (no payload: that is personal data).
public struct DeadLetter: Sendable, Encodable {
    public var id: Int64
    public var destination: String
    public var sync: String
    public var kind: String
    public var profileID: Int64
    public var messageID: String
    public var attempts: Int
    public var lastStatus: Int?
    public var lastError: String?
    public var deadAt: Date

    enum CodingKeys: String, CodingKey {
        case id, destination, sync, kind, attempts
        case profileID = "profile_id", messageID = "message_id", lastStatus = "last_status", lastError = "last_error", deadAt = "dead_at"
    }
}

/// A destination's delivery as `rapport destinations status` and the API show it.
public struct DestinationStatus: Sendable, Encodable {
    public struct Failure: Sendable, Encodable {
        public var at: Date
        public var status: Int?
        public var error: String
    }

    public var destination: DestinationInfo
    public var pending: Int64
    public var retrying: Int64
    public var deadLetters: Int64
    public var delivered: Int64
    public var lastDeliveredAt: Date?
    public var lastErrors: [Failure]
    public var syncs: [String]

    enum CodingKeys: String, CodingKey {
        case destination, pending, retrying, delivered, syncs
        case deadLetters = "dead_letters", lastDeliveredAt = "last_delivered_at", lastErrors = "last_errors"
    }
}

extension Store {
    /// How long a batch taken for delivery is this process's before another may take it.
    static func lease(timeout: Int) -> Int { 2 * timeout + 5 }

    /// The destinations of `tenant` with records due now, with their secrets: a batch whose wait
    /// is over, or a record in no batch.
    public func destinationsWithWork(tenant: Tenant) async throws -> [(DestinationInfo, secret: String)] {
        try await withTenant(tenant, readOnly: true) { connection in
            // By index, as a take: a destination fresh to the statistics beside a large backlog of
            // another could otherwise be looked for by a scan of the whole outbox, every second.
            try await connection.query(PostgresQuery(unsafeSQL: Self.planSettings), logger: logger)
            var secrets: [String: String] = [:]
            for try await (name, secret) in try await connection.query(
                "SELECT name, secret FROM destinations", logger: logger).decode((String, String).self) { secrets[name] = secret }
            var work: [(DestinationInfo, secret: String)] = []
            for info in try await Self.destinations(on: connection, logger: logger) where !info.paused {
                var taken: [Int64] = []
                var due = false
                for try await (ids, ready) in try await connection.query("""
                    SELECT ids, next_attempt_at <= now() AND (leased_until IS NULL OR leased_until < now())
                    FROM sync_batches WHERE destination = \(info.name)
                    """, logger: logger).decode(([Int64], Bool).self) {
                    taken += ids
                    due = due || ready
                }
                // Entries a run kept in its state, to be moved to the outbox by a take.
                if !due { due = try await Self.hasKeptEntries(destination: info.name, on: connection, logger: logger) }
                if !due {
                    var binds = PostgresBindings(capacity: 2)
                    binds.append(info.name)
                    binds.append(taken)
                    for try await found in try await connection.query(PostgresQuery(unsafeSQL: Self.hasFreeRecordsSQL, binds: binds),
                                                                      logger: logger).decode(Bool.self) { due = found }
                }
                if due, let secret = secrets[info.name] { work.append((info, secret)) }
            }
            return work
        }
    }

    /// Whether destination `$1` has a record in no batch (`$2`, the ids in batches): the order
    /// index from its start, past the records in batches (a hash probe each).
    static let hasFreeRecordsSQL = "SELECT EXISTS (SELECT 1 FROM sync_outbox o WHERE o.destination = $1 AND o.id <> ALL ($2::bigint[]))"

    /// The pick of a take: of the destination's first `$2` records in id order from id `$5` on
    /// (read from the (destination, id) index whatever the planner believes of the table),
    /// those first of their profile whose profile has no batch (`$3`, a constant, so a hash
    /// probe), the earliest `$4` of them (ids and profiles); how many were read, and the first
    /// id read. Read from the start, the earliest record of a profile is always among those
    /// read before its later ones. (A per-row probe for the profile's first record was planned,
    /// for a destination new to the statistics, as a scan of all of its rows for each row.)
    static let pickSQL = """
        WITH page AS MATERIALIZED (
            SELECT id, profile_id FROM sync_outbox WHERE destination = $1 AND id >= $5 ORDER BY destination, id LIMIT $2),
        firsts AS (SELECT id, profile_id, row_number() OVER (PARTITION BY profile_id ORDER BY id) AS nth FROM page),
        picked AS (SELECT id, profile_id FROM firsts WHERE nth = 1 AND NOT (profile_id = ANY($3::bigint[])) ORDER BY id LIMIT $4)
        SELECT (SELECT count(*) FROM page), ARRAY(SELECT id FROM picked ORDER BY id), ARRAY(SELECT profile_id FROM picked ORDER BY id),
               (SELECT min(id) FROM page)
        """

    /// How a take and a finish are planned (one round trip): every statement reads by index,
    /// whatever the planner believes of the table. Right after a run, the statistics may not
    /// know the destination (estimated at a row or two, when it has 200,000): the pick was then
    /// planned as a bitmap scan of all of the destination's rows and a sort, at every take, and
    /// a finish read them all to find its batch's records. There is always an index for what
    /// they read; JIT compiling a take cost 200 ms.
    static let planSettings = """
        SELECT set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true), set_config('jit', 'off', true)
        """

    /// A take's settings: ``planSettings``, at read committed whatever the database's default
    /// (each statement must see the batches of the take it waited for).
    static let takeSettings = ["SET TRANSACTION ISOLATION LEVEL READ COMMITTED", planSettings]

    /// Takes the next batch for `destination` (``takeBatches(destination:size:count:timeout:from:tenant:)`` with a count of one).
    public func takeBatch(destination: String, size: Int, timeout: Int, tenant: Tenant) async throws -> OutboxBatch? {
        try await takeBatches(destination: destination, size: size, count: 1, timeout: timeout, tenant: tenant).batches.first
    }

    /// Takes up to `count` batches for `destination`: first batches tried before whose wait is
    /// over (the same records, less those since deleted, so the same key), then new batches of
    /// up to `size` records in no batch, each the earliest waiting record of its profile, in
    /// id order. Empty when nothing is due. New batches of one destination are taken one take
    /// at a time (each take sees the batches of the one before), all of a take's together: a
    /// delivery loop takes for all of its idle lanes at once.
    ///
    /// A take reads the destination's records from `from` on (from the start when nil) and says
    /// the first id it read: a delivery loop passes that to its next take. Records delivered are
    /// deleted, but their index entries stay until vacuum, or until a read can tell that no
    /// transaction still sees them: while any transaction of the database stays open (a long
    /// query anywhere), every take from the start walks all of them again, and a 200,000-record
    /// delivery fell from 40,000 to 2,400 records a second. A record below `from` that commits
    /// after a take read past it (a run in progress then) waits for a take from the start.
    public func takeBatches(destination: String, size: Int, count: Int, timeout: Int, from: Int64? = nil,
                            tenant: Tenant) async throws -> (batches: [OutboxBatch], first: Int64?) {
        guard count > 0, size > 0 else { return ([], nil) }
        let citus = try await hasCitus()
        return try await withTenant(tenant) { connection in
            for setting in Self.takeSettings { try await connection.query(PostgresQuery(unsafeSQL: setting), logger: logger) }
            let lease = Self.lease(timeout: timeout)
            try await connection.query(
                "SELECT pg_advisory_xact_lock(hashtextextended('rapport.take.' || current_schema() || '.' || \(destination), 0))", logger: logger)
            // Times are the statement's, not the transaction's: the lock may have been waited for.
            var inBatches = 0
            var owners: [UUID: [Int64]] = [:]
            var due: [UUID] = []
            for try await (key, ids, profiles, ready) in try await connection.query("""
                SELECT key, ids, profiles, next_attempt_at <= statement_timestamp()
                                           AND (leased_until IS NULL OR leased_until < statement_timestamp())
                FROM sync_batches WHERE destination = \(destination) ORDER BY next_attempt_at
                """, logger: logger).decode((UUID, [Int64], [Int64], Bool).self) {
                inBatches += ids.count
                owners[key] = profiles
                if ready, due.count < count { due.append(key) }
            }
            // Batches whose wait is over, taken again under their keys; one whose records are all gone goes.
            var batches: [OutboxBatch] = []
            for key in due {
                var again: ([Int64], Int, Date)?
                for try await row in try await connection.query("""
                    UPDATE sync_batches SET leased_until = statement_timestamp() + make_interval(secs => \(lease)), attempts = attempts + 1
                    WHERE key = \(key) AND next_attempt_at <= statement_timestamp()
                      AND (leased_until IS NULL OR leased_until < statement_timestamp())
                    RETURNING ids, attempts, first_attempt_at
                    """, logger: logger).decode(([Int64], Int, Date).self) { again = row }
                guard let (ids, attempts, firstAt) = again else { continue }
                if let (records, payloads) = try await Self.records(ids, destination: destination, on: connection, logger: logger) {
                    batches.append(OutboxBatch(key: key, destination: destination, records: records, payloads: payloads,
                                               firstAttemptAt: firstAt, attempt: attempts))
                } else {
                    try await connection.query("DELETE FROM sync_batches WHERE key = \(key)", logger: logger)
                    owners[key] = nil
                }
            }
            guard batches.count < count else { return (batches, nil) }
            // The profiles with a record in a batch, whose other records wait.
            let busy = Set(owners.values.joined())
            // The earliest records in no batch, each the first of its profile.
            let keys = (batches.count..<count).map { _ in UUID() }
            let wanted = size * keys.count
            var page = wanted + inBatches + 64
            var picked: [Int64] = []
            var profiles: [Int64] = []
            var first: Int64?
            // First the entries its syncs' runs kept in their state, as many as this take wants,
            // are moved here (before the pick, not when it comes up short: a second pick was a
            // sixth of a delivery's time in the database).
            let moved = try await Self.releaseEntries(destination: destination, limit: wanted, citus: citus, on: connection, logger: logger)
            page += Int(moved)
            while true {
                var binds = PostgresBindings(capacity: 5)
                binds.append(destination)
                binds.append(page)
                binds.append(Array(busy))
                binds.append(wanted)
                binds.append(from ?? Int64.min)
                var read: Int64 = 0
                for try await (n, ids, owners, lowest) in try await connection.query(PostgresQuery(unsafeSQL: Self.pickSQL, binds: binds), logger: logger)
                    .decode((Int64, [Int64], [Int64], Int64?).self) { (read, picked, profiles, first) = (n, ids, owners, lowest) }
                // Enough, or all of the destination's records were read; else read further (records
                // of profiles with one in flight are between).
                if picked.count == wanted || read < page { break }
                page *= 4
            }
            guard !picked.isEmpty else { return (batches, first) }
            // The batches are consecutive runs of `picked` (in id order): each a key and its first and last id.
            let runs = stride(from: 0, to: picked.count, by: size).map { ($0, min($0 + size, picked.count) - 1) }
            var binds = PostgresBindings(capacity: 7)
            binds.append(destination)
            binds.append(picked)
            binds.append(Array(keys.prefix(runs.count)))
            binds.append(runs.map { picked[$0.0] })
            binds.append(runs.map { picked[$0.1] })
            binds.append(lease)
            binds.append(profiles)
            var made: [UUID: OutboxBatch] = [:]
            let now = Date()
            for try await (key, ids, messageIDs, payloads) in try await connection.query(PostgresQuery(unsafeSQL: Self.makeBatchesSQL, binds: binds),
                                                                                        logger: logger).decode((UUID, [Int64], [String], String).self) {
                made[key] = OutboxBatch(key: key, destination: destination, records: zip(ids, messageIDs).map { .init(id: $0, messageID: $1) },
                                        payloads: payloads, firstAttemptAt: now, attempt: 1)
            }
            // A batch whose records were all deleted since (an erasure) goes when it is due again.
            return (batches + keys.compactMap { made[$0] }, first)
        }
    }

    /// The second statement of a take: batches `$3` of destination `$1`, each the picked records
    /// (`$2`, with their profiles `$7`) from id `$4` to `$5`, leased for `$6` seconds; it returns
    /// each batch's key and records. Each batch's records are read as a range of the
    /// (destination, id) index (a lateral read, so that it is one: joined, they were read by a
    /// scan of all of the destination's records when the statistics had not seen it), the
    /// picked ids a filter (`+ 0`: as an index condition, every batch looked up every id picked
    /// by the take, lanes × size descents each).
    static let makeBatchesSQL = """
        WITH runs AS (SELECT * FROM unnest($3::uuid[], $4::bigint[], $5::bigint[]) r (key, first, last)),
        batch AS (
            INSERT INTO sync_batches (key, destination, ids, profiles, leased_until)
            SELECT r.key, $1, u.ids, u.profiles, statement_timestamp() + make_interval(secs => $6)
            FROM runs r, LATERAL (SELECT array_agg(u.id ORDER BY u.id) AS ids, array_agg(u.profile ORDER BY u.id) AS profiles
                                  FROM unnest($2::bigint[], $7::bigint[]) u (id, profile) WHERE u.id BETWEEN r.first AND r.last) u)
        SELECT r.key, a.* FROM runs r, LATERAL (
            SELECT \(recordAggregates) FROM sync_outbox o
            WHERE o.destination = $1 AND o.id BETWEEN r.first AND r.last AND (o.id + 0) = ANY($2) HAVING count(*) > 0) a
        """

    /// What a take reads of a batch's records (of `sync_outbox o`), in id order: their ids,
    /// message ids, and payloads joined as the inside of a JSON array. The payloads are kept
    /// as the text that is sent (`json`): as `jsonb`, printing them was half of a take.
    static let recordAggregates = """
        array_agg(o.id ORDER BY o.id), array_agg(o.message_id::text ORDER BY o.id), string_agg(o.payload::text, ',' ORDER BY o.id)
        """

    /// The records of `ids` still in `destination`'s outbox, with their payloads; nil when none is.
    static func records(_ ids: [Int64], destination: String, on connection: PostgresConnection,
                        logger: Logger) async throws -> ([OutboxBatch.Record], String)? {
        var binds = PostgresBindings(capacity: 4)
        binds.append(ids)
        binds.append(destination)
        let (low, high) = span(ids)
        binds.append(low)
        binds.append(high)
        var found: ([OutboxBatch.Record], String)?
        for try await (ids, messageIDs, payloads) in try await connection.query(PostgresQuery(unsafeSQL: """
            SELECT \(recordAggregates) FROM sync_outbox o WHERE o.destination = $2 AND o.id BETWEEN $3 AND $4 AND o.id = ANY($1) HAVING count(*) > 0
            """, binds: binds), logger: logger).decode(([Int64], [String], String).self) {
            found = (zip(ids, messageIDs).map { .init(id: $0, messageID: $1) }, payloads)
        }
        return found
    }

    /// The least and greatest of a batch's record ids (an empty range when none). Every read of
    /// a batch's records goes by this range of the (destination, id) index, the ids themselves a
    /// condition within it: a destination new to the statistics (a row, the planner believes)
    /// was otherwise read whole, with the ids as a filter.
    static func span(_ ids: [Int64]) -> (low: Int64, high: Int64) { (ids.min() ?? 0, ids.max() ?? -1) }

    /// How many of a batch's records (`$4`, between `$2` and `$3`, their ``span(_:)``) are still
    /// in destination `$1`'s outbox.
    static let countRecordsSQL = "SELECT count(*)::int FROM sync_outbox WHERE destination = $1 AND id BETWEEN $2 AND $3 AND id = ANY($4)"

    /// What became of a batch that was sent.
    public enum BatchOutcome: Sendable {
        /// Every record arrived, but those rejected (message id, status, error), which go to the dead letters.
        case delivered(status: Int, rejected: [(messageID: String, error: String)])
        /// The whole batch is to be tried again after `retryAfter` (unless the retry window is over).
        case retry(status: Int?, error: String, retryAfter: Duration)
        /// The receiver refused the batch for good: split it in two to find the record at fault
        /// (a batch of one goes to the dead letters).
        case refused(status: Int, error: String)
    }

    /// Records what came of sending `batch`, `ms` milliseconds after it was sent.
    public func finish(_ batch: OutboxBatch, outcome: BatchOutcome, ms: Int, retryWindow: Int, tenant: Tenant) async throws {
        let ids = batch.records.map(\.id)
        let (low, high) = Self.span(ids)
        try await withTenant(tenant) { connection in
            // Planned as a take is: by index, whatever the statistics believe of the outbox.
            try await connection.query(PostgresQuery(unsafeSQL: Self.planSettings), logger: logger)
            // Whether this attempt still holds the batch: its lease may have run out and another
            // take sent it again (then that one records what came of it). Finishes of one batch
            // wait for each other here.
            var attempts: Int?
            for try await n in try await connection.query(
                "SELECT attempts FROM sync_batches WHERE key = \(batch.key) FOR UPDATE", logger: logger).decode(Int.self) { attempts = n }
            let holds = attempts == batch.attempt
            // A record of the batch removed since it was taken (an erasure) may be quoted in the
            // receiver's answer: then the answer is not kept, only its status.
            var left = 0
            var binds = PostgresBindings(capacity: 4)
            binds.append(batch.destination)
            binds.append(low)
            binds.append(high)
            binds.append(ids)
            for try await n in try await connection.query(PostgresQuery(unsafeSQL: Self.countRecordsSQL, binds: binds),
                                                          logger: logger).decode(Int.self) { left = n }
            func kept(_ error: String) -> String {
                String((left == ids.count ? error : "(the receiver's answer is not kept: a record of this batch was erased)").prefix(300))
            }
            func log(delivered: Int, status: Int?, error: String?) async throws {
                try await connection.query("""
                    INSERT INTO sync_deliveries (destination, batch_key, records, delivered, status, ms, error)
                    VALUES (\(batch.destination), \(batch.key), \(ids.count), \(delivered), \(status), \(ms), \(error.map(kept)))
                    """, logger: logger)
            }
            func bury(_ which: [Int64], status: Int?, error: String) async throws {
                try await connection.query("""
                    -- An erasure's exit that cannot be delivered is dropped, not kept: it holds the erased person.
                    WITH gone AS (DELETE FROM sync_outbox WHERE destination = \(batch.destination) AND id BETWEEN \(low) AND \(high) AND id = ANY(\(which)) RETURNING *)
                    INSERT INTO sync_dead_letters (destination, sync_id, sync_name, run, profile_id, kind, message_id, payload, queued_at,
                                                   attempts, last_status, last_error)
                    SELECT destination, sync_id, sync_name, run, profile_id, kind, message_id, payload, queued_at, \(batch.attempt), \(status),
                           \(kept(error))
                    FROM gone WHERE erasure IS NULL ORDER BY id
                    """, logger: logger)
            }
            func close() async throws {
                try await connection.query("DELETE FROM sync_batches WHERE key = \(batch.key)", logger: logger)
            }
            switch outcome {
            case .delivered(let status, let rejected):
                let refused = Set(rejected.map(\.messageID))
                let dead = batch.records.filter { refused.contains($0.messageID) }.map(\.id)
                for (messageID, error) in rejected {
                    guard let id = batch.records.first(where: { $0.messageID == messageID })?.id else { continue }
                    try await bury([id], status: status, error: "rejected by the receiver: " + error)
                }
                try await connection.query("""
                    DELETE FROM sync_outbox WHERE destination = \(batch.destination) AND id BETWEEN \(low) AND \(high) AND id = ANY(\(ids)) AND NOT (id = ANY(\(dead)))
                    """, logger: logger)
                // Taken again by another take, the batch is that one's to close: until then its
                // profiles' later records wait, so none overtakes the copy in flight.
                if holds { try await close() }
                try await log(delivered: ids.count - dead.count, status: status, error: dead.isEmpty ? nil : "\(dead.count) record(s) rejected")
            case .retry(let status, let error, _) where !holds:
                try await log(delivered: 0, status: status, error: error)
            case .refused(let status, let error) where !holds:
                try await log(delivered: 0, status: status, error: error)
            case .retry(let status, let error, let retryAfter):
                try await log(delivered: 0, status: status, error: error)
                let waited = Date().timeIntervalSince(batch.firstAttemptAt)
                let wait = Double(retryAfter.components.seconds) + Double(retryAfter.components.attoseconds) / 1e18
                if waited + wait > Double(retryWindow) {
                    try await bury(ids, status: status, error: "not delivered within the retry window: " + error)
                    try await close()
                } else {
                    try await connection.query("""
                        UPDATE sync_batches SET leased_until = NULL, next_attempt_at = now() + make_interval(secs => \(wait)),
                            last_status = \(status), last_error = \(kept(error))
                        WHERE key = \(batch.key)
                        """, logger: logger)
                }
            case .refused(let status, let error):
                try await log(delivered: 0, status: status, error: error)
                if ids.count == 1 {
                    try await bury(ids, status: status, error: error)
                    try await close()
                } else {
                    // Halves, each a batch of its own (new keys), tried at once.
                    let half = ids.count / 2
                    try await connection.query("""
                        WITH gone AS (DELETE FROM sync_batches WHERE key = \(batch.key) RETURNING *)
                        INSERT INTO sync_batches (key, destination, ids, profiles, attempts, first_attempt_at, last_status, last_error)
                        SELECT gen_random_uuid(), b.destination, half.ids,
                               ARRAY(SELECT u.profile FROM unnest(b.ids, b.profiles) u (id, profile) WHERE u.id = ANY(half.ids) ORDER BY u.id),
                               b.attempts, b.first_attempt_at, \(status), \(kept(error))
                        FROM gone b, (VALUES (\(Array(ids[..<half]))), (\(Array(ids[half...])))) half (ids)
                        """, logger: logger)
                }
            }
        }
    }

    // MARK: Dead letters

    public func deadLetters(destination: String?, tenant: Tenant, limit: Int = 100) async throws -> [DeadLetter] {
        try await withTenant(tenant, readOnly: true) { connection in
            var letters: [DeadLetter] = []
            for try await row in try await connection.query("""
                SELECT id, destination, sync_name, kind, profile_id, message_id::text, attempts, last_status, last_error, dead_at
                FROM sync_dead_letters WHERE \(destination)::text IS NULL OR destination = \(destination) ORDER BY id LIMIT \(min(max(limit, 1), 1000))
                """, logger: logger).decode((Int64, String, String, String, Int64, String, Int, Int?, String?, Date).self) {
                letters.append(DeadLetter(id: row.0, destination: row.1, sync: row.2, kind: row.3, profileID: row.4, messageID: row.5,
                                          attempts: row.6, lastStatus: row.7, lastError: row.8, deadAt: row.9))
            }
            return letters
        }
    }

    /// Puts a destination's dead letters (all, or those of `ids`) back in the outbox, with
    /// their message ids; those of a sync since dropped stay. Returns how many went back.
    public func replayDeadLetters(destination: String, ids: [Int64]?, tenant: Tenant, actor: String) async throws -> Int64 {
        try await withTenant(tenant) { connection in
            var replayed: Int64 = 0
            for try await n in try await connection.query("""
                WITH back AS (
                    DELETE FROM sync_dead_letters d WHERE d.destination = \(destination) AND (\(ids)::bigint[] IS NULL OR d.id = ANY(\(ids)::bigint[]))
                      AND EXISTS (SELECT 1 FROM syncs s WHERE s.id = d.sync_id AND s.destination = d.destination)
                    RETURNING *),
                queued AS (
                    INSERT INTO sync_outbox (destination, sync_id, sync_name, run, profile_id, kind, message_id, payload, queued_at)
                    SELECT destination, sync_id, sync_name, run, profile_id, kind, message_id, payload, queued_at FROM back ORDER BY id
                    RETURNING 1)
                SELECT count(*) FROM queued
                """, logger: logger).decode(Int64.self) { replayed = n }
            try await connection.query("RESET ROLE", logger: logger)
            try await audit(tenant: tenant, actor: actor, action: "destination.replayed",
                            details: ["name": destination, "records": String(replayed)], on: connection)
            return replayed
        }
    }

    // MARK: Status

    public func destinationStatus(_ name: String, tenant: Tenant) async throws -> DestinationStatus {
        try await withTenant(tenant, readOnly: true) { connection in
            guard let info = try await Self.destinations(name: name, on: connection, logger: logger).first else {
                throw StoreError.notFound("There is no destination `\(name)`.")
            }
            var status = DestinationStatus(destination: info, pending: 0, retrying: 0, deadLetters: 0, delivered: 0, lastDeliveredAt: nil,
                                           lastErrors: [], syncs: [])
            for try await (pending, retrying, dead, delivered, last) in try await connection.query("""
                SELECT (SELECT count(*) FROM sync_outbox WHERE destination = \(name))
                       + (SELECT count(*) FROM syncs s JOIN sync_state t ON t.sync_id = s.id
                          WHERE s.destination = \(name) AND s.pending_run IS NOT NULL AND \(unescaped: Self.keptEntry())),
                       (SELECT count(*) FROM sync_outbox WHERE destination = \(name) AND id = ANY(ARRAY(
                           SELECT unnest(ids) FROM sync_batches WHERE destination = \(name) AND last_error IS NOT NULL))),
                       (SELECT count(*) FROM sync_dead_letters WHERE destination = \(name)),
                       (SELECT coalesce(sum(delivered), 0)::bigint FROM sync_deliveries WHERE destination = \(name)),
                       (SELECT max(at) FROM sync_deliveries WHERE destination = \(name) AND delivered > 0)
                """, logger: logger).decode((Int64, Int64, Int64, Int64, Date?).self) {
                (status.pending, status.retrying, status.deadLetters, status.delivered, status.lastDeliveredAt) = (pending, retrying, dead, delivered, last)
            }
            for try await (at, code, error) in try await connection.query("""
                SELECT at, status, error FROM sync_deliveries WHERE destination = \(name) AND error IS NOT NULL ORDER BY id DESC LIMIT 5
                """, logger: logger).decode((Date, Int?, String).self) {
                status.lastErrors.append(.init(at: at, status: code, error: error))
            }
            for try await sync in try await connection.query(
                "SELECT name FROM syncs WHERE destination = \(name) ORDER BY name", logger: logger).decode(String.self) { status.syncs.append(sync) }
            return status
        }
    }

    /// Removes delivery log rows older than `days` (the log holds counts, statuses and short
    /// errors; the records themselves leave the outbox when delivered).
    public func pruneDeliveries(olderThanDays days: Int, tenant: Tenant) async throws {
        try await withTenant(tenant) { connection in
            try await connection.query("DELETE FROM sync_deliveries WHERE at < now() - make_interval(days => \(days))", logger: logger)
        }
    }
}
