import Foundation
import PostgresNIO

/// Records taken from the outbox to send in one request.
public struct OutboxBatch: Sendable {
    public struct Record: Sendable {
        public var id: Int64
        public var messageID: String
        public var kind: String
        public var sync: String
        /// The record as JSON text (Grammar/README.md, "Syncs": profile, ids, kind, fields, time, message id).
        public var payload: String
        public var queuedAt: Date
    }

    /// The batch's key: its Idempotency-Key, the same each time these records are sent.
    public var key: UUID
    public var destination: String
    public var records: [Record]
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

    /// The destinations of `tenant` with records due now, with their secrets.
    public func destinationsWithWork(tenant: Tenant) async throws -> [(DestinationInfo, secret: String)] {
        try await withTenant(tenant, readOnly: true) { connection in
            // Per destination, the first due row in the order index: not a scan of the outbox.
            var secrets: [String: String] = [:]
            for try await (name, secret) in try await connection.query("""
                SELECT d.name, d.secret FROM destinations d WHERE NOT d.paused AND EXISTS (
                    SELECT 1 FROM sync_outbox o WHERE o.destination = d.name AND o.next_attempt_at <= now()
                      AND (o.leased_until IS NULL OR o.leased_until < now()))
                """, logger: logger).decode((String, String).self) { secrets[name] = secret }
            guard !secrets.isEmpty else { return [] }
            let names = Set(secrets.keys)
            return try await Self.destinations(on: connection, logger: logger).compactMap { info in
                guard names.contains(info.name), let secret = secrets[info.name] else { return nil }
                return (info, secret)
            }
        }
    }

    /// The records of the next new batch: the destination's earliest waiting records in id
    /// order, each the first of its profile there (a profile's records go in order). `$1` is
    /// the destination, `$2` the batch size. Read through the (destination, id) index, with the
    /// profile's first record a probe of the (destination, profile_id, id) index per row: a
    /// batch's worth of rows whatever the planner believes of the table (a join here was once
    /// planned as a nested loop over the whole backlog for each row).
    static let pickSQL = """
        SELECT o.id FROM sync_outbox o
        WHERE o.destination = $1 AND o.batch_key IS NULL AND o.next_attempt_at <= now()
          AND o.id = (SELECT min(e.id) FROM sync_outbox e WHERE e.destination = o.destination AND e.profile_id = o.profile_id)
        ORDER BY o.destination, o.id LIMIT $2 FOR UPDATE SKIP LOCKED
        """

    /// Takes the next batch for `destination`: first a batch tried before whose wait is over
    /// (the same records, so the same key), else up to `size` records not yet in a batch, each
    /// the earliest waiting record of its profile. Nil when nothing is due.
    public func takeBatch(destination: String, size: Int, timeout: Int, tenant: Tenant) async throws -> OutboxBatch? {
        try await withTenant(tenant) { connection in
            // The take's cost estimate can pass JIT's threshold; compiling it cost 200 ms a batch.
            try await connection.query("SET LOCAL jit = off", logger: logger)
            let lease = Self.lease(timeout: timeout)
            var key: UUID?
            for try await k in try await connection.query("""
                SELECT batch_key FROM sync_outbox WHERE destination = \(destination) AND batch_key IS NOT NULL
                  AND next_attempt_at <= now() AND (leased_until IS NULL OR leased_until < now())
                ORDER BY destination, id LIMIT 1 FOR UPDATE SKIP LOCKED
                """, logger: logger).decode(UUID.self) { key = k }
            let rows: PostgresRowSequence
            if let key {
                rows = try await connection.query("""
                    UPDATE sync_outbox SET leased_until = now() + make_interval(secs => \(lease)), attempts = attempts + 1
                    WHERE batch_key = \(key) AND (leased_until IS NULL OR leased_until < now())
                    RETURNING id, message_id::text, kind, sync_name, payload::text, queued_at, batch_key, first_attempt_at, attempts
                    """, logger: logger)
            } else {
                var binds = PostgresBindings(capacity: 3)
                binds.append(destination)
                binds.append(size)
                binds.append(lease)
                rows = try await connection.query(PostgresQuery(unsafeSQL: """
                    WITH pick AS (\(Self.pickSQL))
                    UPDATE sync_outbox o SET batch_key = k.key, leased_until = now() + make_interval(secs => $3), attempts = 1,
                        first_attempt_at = now()
                    FROM (SELECT gen_random_uuid() AS key) k
                    WHERE o.id IN (SELECT id FROM pick)
                    RETURNING o.id, o.message_id::text, o.kind, o.sync_name, o.payload::text, o.queued_at, o.batch_key, o.first_attempt_at, o.attempts
                    """, binds: binds), logger: logger)
            }
            var records: [OutboxBatch.Record] = []
            var batchKey: UUID?
            var first = Date()
            var attempt = 1
            for try await (id, messageID, kind, sync, payload, queued, key, firstAt, attempts) in rows.decode(
                (Int64, String, String, String, String, Date, UUID, Date?, Int).self) {
                records.append(OutboxBatch.Record(id: id, messageID: messageID, kind: kind, sync: sync, payload: payload, queuedAt: queued))
                batchKey = key
                if let firstAt { first = min(first, firstAt) }
                attempt = max(attempt, attempts)
            }
            guard let batchKey, !records.isEmpty else { return nil }
            records.sort { $0.id < $1.id }
            return OutboxBatch(key: batchKey, destination: destination, records: records, firstAttemptAt: first, attempt: attempt)
        }
    }

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
        try await withTenant(tenant) { connection in
            func log(delivered: Int, status: Int?, error: String?) async throws {
                try await connection.query("""
                    INSERT INTO sync_deliveries (destination, batch_key, records, delivered, status, ms, error)
                    VALUES (\(batch.destination), \(batch.key), \(ids.count), \(delivered), \(status), \(ms), \(error.map { String($0.prefix(300)) }))
                    """, logger: logger)
            }
            func bury(_ which: [Int64], status: Int?, error: String) async throws {
                try await connection.query("""
                    -- An erasure's exit that cannot be delivered is dropped, not kept: it holds the erased person.
                    WITH gone AS (DELETE FROM sync_outbox WHERE id = ANY(\(which)) RETURNING *)
                    INSERT INTO sync_dead_letters (destination, sync_id, sync_name, run, profile_id, kind, message_id, payload, queued_at,
                                                   attempts, last_status, last_error)
                    SELECT destination, sync_id, sync_name, run, profile_id, kind, message_id, payload, queued_at, attempts, \(status),
                           \(String(error.prefix(300)))
                    FROM gone WHERE erasure IS NULL
                    """, logger: logger)
            }
            switch outcome {
            case .delivered(let status, let rejected):
                let refused = Set(rejected.map(\.messageID))
                let dead = batch.records.filter { refused.contains($0.messageID) }.map(\.id)
                for (messageID, error) in rejected {
                    guard let id = batch.records.first(where: { $0.messageID == messageID })?.id else { continue }
                    try await bury([id], status: status, error: "rejected by the receiver: " + error)
                }
                try await connection.query("DELETE FROM sync_outbox WHERE id = ANY(\(ids)) AND NOT (id = ANY(\(dead)))", logger: logger)
                try await log(delivered: ids.count - dead.count, status: status, error: dead.isEmpty ? nil : "\(dead.count) record(s) rejected")
            case .retry(let status, let error, let retryAfter):
                try await log(delivered: 0, status: status, error: error)
                let waited = Date().timeIntervalSince(batch.firstAttemptAt)
                let wait = Double(retryAfter.components.seconds) + Double(retryAfter.components.attoseconds) / 1e18
                if waited + wait > Double(retryWindow) {
                    try await bury(ids, status: status, error: "not delivered within the retry window: " + error)
                } else {
                    try await connection.query("""
                        UPDATE sync_outbox SET leased_until = NULL, next_attempt_at = now() + make_interval(secs => \(wait)),
                            last_status = \(status), last_error = \(String(error.prefix(300)))
                        WHERE id = ANY(\(ids))
                        """, logger: logger)
                }
            case .refused(let status, let error):
                try await log(delivered: 0, status: status, error: error)
                if ids.count == 1 {
                    try await bury(ids, status: status, error: error)
                } else {
                    // Halves, each a batch of its own (new keys), tried at once.
                    let half = ids.count / 2
                    try await connection.query("""
                        UPDATE sync_outbox SET batch_key = CASE WHEN id = ANY(\(Array(ids[..<half]))) THEN k.a ELSE k.b END,
                            leased_until = NULL, next_attempt_at = now(), last_status = \(status), last_error = \(String(error.prefix(300)))
                        FROM (SELECT gen_random_uuid() AS a, gen_random_uuid() AS b) k
                        WHERE id = ANY(\(ids))
                        """, logger: logger)
                }
            }
        }
    }

    /// Gives a batch back undelivered and untried (the process is stopping).
    public func release(_ batch: OutboxBatch, tenant: Tenant) async throws {
        try await withTenant(tenant) { connection in
            try await connection.query("""
                UPDATE sync_outbox SET leased_until = NULL, attempts = greatest(attempts - 1, 0) WHERE id = ANY(\(batch.records.map(\.id)))
                """, logger: logger)
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
                SELECT (SELECT count(*) FROM sync_outbox WHERE destination = \(name)),
                       (SELECT count(*) FROM sync_outbox WHERE destination = \(name) AND last_error IS NOT NULL),
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
