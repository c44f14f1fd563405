import Foundation
import Metrics
import PostgresNIO
import RapportQL

/// What one ingestion did.
public struct IngestResult: Sendable, Equatable, Codable {
    /// Messages stored now.
    public var accepted = 0
    /// Messages whose messageId was already stored (replays): acknowledged, not stored again.
    public var duplicates = 0
    /// Messages dropped because they carry a suppressed identifier.
    public var suppressed = 0
    public var profilesCreated = 0
    public var merges = 0
    /// Identifiers left out because of a kind's limit.
    public var conflicts = 0

    public init() {}

    public mutating func add(_ other: IngestResult) {
        accepted += other.accepted
        duplicates += other.duplicates
        suppressed += other.suppressed
        profilesCreated += other.profilesCreated
        merges += other.merges
        conflicts += other.conflicts
    }

    enum CodingKeys: String, CodingKey {
        case accepted, duplicates, suppressed, merges, conflicts
        case profilesCreated = "profiles_created"
    }
}

extension Store {
    /// Stores `messages` for `tenant` in one transaction: drops replays, resolves identities,
    /// merges profiles, updates traits and groups, and copies the events in. When this returns,
    /// everything is committed; if it throws, nothing is.
    ///
    /// Ingestion for one tenant is serialised by a transaction-scoped advisory lock, so merges
    /// are exactly-once and no identifier can end on two profiles, whichever processes ingest.
    ///
    /// Replays are rare, so a batch is first written without looking its messageIds up; if the
    /// events' primary key then refuses one, the transaction rolls back and the batch is written
    /// again with the replays dropped.
    public func ingest(_ messages: [IngestMessage], tenant: Tenant) async throws -> IngestResult {
        guard !messages.isEmpty else { return IngestResult() }
        do {
            return try await ingest(messages, tenant: tenant, lookUpReplays: false)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" && error.serverInfo?[.constraintName] == "events_pkey" {
            Counter(label: "rapport_ingest_replay_retries_total").increment()
            return try await ingest(messages, tenant: tenant, lookUpReplays: true)
        }
    }

    func ingest(_ messages: [IngestMessage], tenant: Tenant, lookUpReplays: Bool) async throws -> IngestResult {
        let (logger, cache, catalogue, suppressions) = (self.logger, identityCache, catalogueCache, suppressionCache)
        let hasher = try await identifierHasher(tenant)
        let (result, state) = try await withTenant(tenant) { connection in
            var batch = IngestBatch(messages: messages, connection: connection, logger: logger)
            batch.catalogue = (catalogue, tenant.id)
            batch.hasher = hasher
            // The advisory lock first, then the epoch row: the order unmerge takes them in too.
            try await Self.lockIngestion(on: connection, logger: logger)
            let epoch = try await Self.advanceIngestEpoch(on: connection, logger: logger)
            batch.cache = cache.take(tenant: tenant.id, epoch: epoch - 1)
            batch.suppressed = suppressions.take(tenant: tenant.id, epoch: epoch - 1)
            try await batch.loadWholeCacheIfWorthIt(cache, tenant: tenant.id, citus: hasCitus(on: connection))
            let result = try await batch.run(lookUpReplays: lookUpReplays)
            batch.cache.epoch = epoch
            return (result, (batch.cache, batch.recordedCatalogue, batch.suppressed, epoch))
        }
        // Committed: what the batch learnt is now true for everyone.
        cache.put(state.0, tenant: tenant.id)
        catalogue.remember(state.1, tenant: tenant.id)
        if let hashes = state.2 { suppressions.put(hashes, tenant: tenant.id, epoch: state.3) }
        if result.suppressed > 0 { Counter(label: "rapport_ingest_suppressed_total").increment(by: result.suppressed) }
        return result
    }

    /// Serialises the tenant's identity changes until the caller's transaction ends.
    static func lockIngestion(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            "SELECT pg_advisory_xact_lock(hashtextextended('rapport.ingest.' || current_schema(), 0))", logger: logger)
    }

    /// Advances the tenant's ingestion epoch in the caller's transaction; every transaction
    /// that changes identities must, so other processes' caches see the change.
    /// - Returns: the new epoch.
    static func advanceIngestEpoch(on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        let rows = try await connection.query("UPDATE ingest_state SET epoch = epoch + 1 RETURNING epoch", logger: logger)
        for try await epoch in rows.decode(Int64.self) { return epoch }
        throw StoreError.invalidInput("The tenant's ingest_state row is missing.")
    }
}

/// One ingestion transaction, step by step.
struct IngestBatch {
    var messages: [IngestMessage]
    let connection: PostgresConnection
    let logger: Logger
    var result = IngestResult()
    /// What this process knows of the tenant's identifiers; updated as the batch goes.
    var cache = IdentityCache.TenantState()
    /// Catalogue entries this process knows are recorded.
    var catalogue: (cache: CatalogueCache, tenant: Int64)?
    /// Catalogue entries this batch recorded (remembered once it commits).
    var recordedCatalogue = Set<CatalogueEntry>()
    /// The tenant's keyed hash of identifiers, to recognise suppressed ones.
    var hasher: IdentifierHasher?
    /// The tenant's suppressed hashes, if this process knows them as of the epoch before this batch's.
    var suppressed: Set<String>?
    /// The tenant's per-profile summaries: the flows they hold, and whether they are exact.
    var summaries = SummaryState(flows: nil, ready: false, generation: 0, rebuiltUpto: 0)

    init(messages: [IngestMessage], connection: PostgresConnection, logger: Logger) {
        self.messages = messages
        self.connection = connection
        self.logger = logger
    }

    mutating func run(lookUpReplays: Bool) async throws -> IngestResult {
        var clock = StepClock()
        let settings = try await Store.ingestSettings(on: connection, logger: logger)
        summaries = try await Store.summaryState(on: connection, logger: logger)
        try await dropReplays(lookUp: lookUpReplays)
        clock.lap("dedupe")
        try await dropSuppressed(rules: settings.rules)
        clock.lap("suppressions")
        guard !messages.isEmpty else { return result }

        // Identity resolution over what the database knows of this batch's identifiers.
        let identifiers = messages.map { (keys: settings.rules.identifiers(of: $0), previousID: $0.previousID) }
        var candidates = Set(identifiers.flatMap(\.keys))
        for previous in identifiers.compactMap(\.previousID) {
            for kind in ["user_id", "anonymous_id"] {
                if let v = settings.rules.normalize(previous, kind: kind) { candidates.insert(IdentityKey(kind, v)) }
            }
        }
        clock.lap("identifiers")
        let known = try await loadIdentities(candidates)
        clock.lap("load_identities")
        let profiles = Set(known.values.map(\.profile))
        let counts = try await loadCounts(profiles)
        clock.lap("load_counts")
        let blocked = try await loadBlocks(profiles)
        clock.lap("load_blocks")
        var resolver = IdentityResolver(rules: settings.rules, owner: known.mapValues(\.profile), counts: counts, blocked: blocked)
        var plan = resolver.resolve(identifiers)
        clock.lap("resolve")

        // Real ids for the profiles the batch creates, in creation order (so "older" holds).
        let ids = try await allocateProfileIDs(plan.created.count)
        var real: [Int64: Int64] = [:]
        for (temporary, id) in zip(plan.created.map(\.id), ids) { real[temporary] = id }
        func map(_ id: Int64) -> Int64 { id < 0 ? real[id]! : id }
        plan.root = Dictionary(uniqueKeysWithValues: plan.root.map { (map($0.key), map($0.value)) })
        let origins = plan.messageProfiles.map(map)
        let live = origins.map { plan.live($0) }

        try await insertProfiles(ids)
        clock.lap("insert_profiles")
        try await applyMerges(plan, map: map, blocked: blocked)
        clock.lap("merges")
        try await insertIdentities(plan, map: map, live: { plan.live(map($0)) })
        clock.lap("insert_identities")
        try await touchIdentities(known: known, identifiers: identifiers)
        clock.lap("touch_identities")
        try await insertConflicts(plan, map: map)
        try await updateTraits(plan: plan, map: map, live: live, settings: settings)
        clock.lap("traits")
        try await upsertGroups(live: live)
        try await copyEvents(origins: origins, live: live)
        clock.lap("copy_events")
        try await summarise(live: live)
        if !summaries.ready, !plan.merges.isEmpty {
            // Mid-rebuild, a loser's summaries may be of other flows: the survivors' are
            // recomputed from their events, this batch's included.
            let losers = plan.merges.map { map($0.loser) }
            try await Store.recomputeSummaries(of: losers + losers.map { plan.live($0) }, flows: summaries.flows, on: connection, logger: logger)
        }
        clock.lap("summaries")
        try await recordCatalogue()
        clock.lap("catalogue")

        rememberInCache(plan: plan, resolver: resolver, map: map, identifiers: identifiers, known: known)

        result.accepted = messages.count
        result.profilesCreated = ids.count
        result.merges = plan.merges.count
        result.conflicts = plan.conflicts.count
        return result
    }

    /// Records in the cache what this batch made true (kept only if the transaction commits).
    mutating func rememberInCache(plan: IdentityResolver.Plan, resolver: IdentityResolver, map: (Int64) -> Int64,
                                  identifiers: [(keys: [IdentityKey], previousID: String?)], known: [IdentityKey: IdentityCache.Entry]) {
        for merge in plan.merges {
            let loser = map(merge.loser)
            cache.mergedInto[loser] = plan.live(loser)
            cache.counts[loser] = nil
        }
        for (profile, counts) in resolver.counts { cache.counts[map(profile)] = counts }
        for attached in plan.attached {
            let at = messages[attached.message].timestamp
            cache.identities[attached.key] = IdentityCache.Entry(profile: plan.live(map(attached.profile)), lastSeen: at)
        }
        // As touchIdentities wrote them: the latest sighting of each known identifier, if a day on.
        var latest: [IdentityKey: Int64] = [:]
        for (index, entry) in identifiers.enumerated() {
            for key in entry.keys where known[key] != nil { latest[key] = max(latest[key] ?? .min, messages[index].timestamp) }
        }
        for (key, at) in latest where at >= known[key]!.lastSeen + Self.lastSeenGranularity {
            cache.identities[key]?.lastSeen = at
        }
    }

    // MARK: - Steps

    /// Drops messages that repeat an earlier one of this batch and, if `lookUp`, those whose
    /// messageId is stored already.
    mutating func dropReplays(lookUp: Bool) async throws {
        var seen = Set<String>()
        var unique: [IngestMessage] = []
        for message in messages where seen.insert(message.messageID).inserted { unique.append(message) }
        var stored = Set<String>()
        if lookUp {
            let ids = unique.map(\.messageID)
            let rows = try await connection.query("SELECT message_id FROM events WHERE message_id = ANY(\(ids))", logger: logger)
            for try await id in rows.decode(String.self) { stored.insert(id) }
        }
        result.duplicates = messages.count - unique.count + stored.count
        messages = stored.isEmpty ? unique : unique.filter { !stored.contains($0.messageID) }
    }

    /// Drops the messages that carry a suppressed identifier (an erased or suppressed
    /// subject's), counting them per suppression (and, once committed, in
    /// `rapport_ingest_suppressed_total`).
    /// Runs under the ingestion lock, so an erasure that committed before is always seen: the
    /// set of suppressed hashes comes from this process's cache only while no other
    /// transaction has advanced the tenant's epoch since this process's last batch.
    mutating func dropSuppressed(rules: IdentityRules) async throws {
        guard let hasher, !messages.isEmpty else { return }
        if suppressed == nil {
            var all = Set<String>()
            let rows = try await connection.query("SELECT encode(hash, 'hex') FROM suppressions", logger: logger)
            for try await hash in rows.decode(String.self) { all.insert(hash) }
            suppressed = all
        }
        guard let suppressed, !suppressed.isEmpty else { return }
        let hashes = messages.map { message -> [String] in
            var keys = rules.identifiers(of: message)
            if let previous = message.previousID {
                for kind in ["user_id", "anonymous_id"] {
                    if let value = rules.normalize(previous, kind: kind) { keys.append(IdentityKey(kind, value)) }
                }
            }
            return keys.map(hasher.hash)
        }
        var kept: [IngestMessage] = []
        var dropped: [String: Int64] = [:]
        for (message, keys) in zip(messages, hashes) {
            let hits = keys.filter(suppressed.contains)
            if hits.isEmpty {
                kept.append(message)
            } else {
                for hit in Set(hits) { dropped[hit, default: 0] += 1 }
            }
        }
        result.suppressed += messages.count - kept.count
        messages = kept
        guard !dropped.isEmpty else { return }
        try await connection.query("""
            UPDATE suppressions s SET dropped = s.dropped + d.n, last_dropped_at = now()
            FROM unnest(\(Array(dropped.keys))::text[], \(Array(dropped.values))::bigint[]) AS d (h, n)
            WHERE s.hash = decode(d.h, 'hex')
            """, logger: logger)
    }

    /// The batch's identifiers that exist, with their live profile and last sighting (in
    /// microseconds): from the cache, the rest from the database (and then cached).
    mutating func loadIdentities(_ keys: Set<IdentityKey>) async throws -> [IdentityKey: IdentityCache.Entry] {
        var known: [IdentityKey: IdentityCache.Entry] = [:]
        var missing: [IdentityKey] = []
        for key in keys {
            if let entry = cache.entry(key) { known[key] = entry } else { missing.append(key) }
        }
        Counter(label: "rapport_identity_cache_hits_total").increment(by: keys.count - missing.count)
        // A complete cache knows that what it lacks does not exist.
        guard !missing.isEmpty, !cache.complete else { return known }
        Counter(label: "rapport_identity_cache_misses_total").increment(by: missing.count)
        // One primary-key probe per identifier: a branch per kind, each with its values.
        var sql = "", binds = PostgresBindings()
        for (i, (kind, group)) in Dictionary(grouping: missing, by: \.kind).enumerated() {
            if i > 0 { sql += " UNION ALL " }
            sql += "SELECT kind, value, profile_id, last_seen FROM identities WHERE kind = $\(2 * i + 1) AND value = ANY($\(2 * i + 2))"
            binds.append(kind)
            binds.append(group.map(\.value))
        }
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
        for try await (kind, value, profile, lastSeen) in rows.decode((String, String, Int64, Date).self) {
            let key = IdentityKey(kind, value)
            guard keys.contains(key) else { continue }
            let entry = IdentityCache.Entry(profile: profile, lastSeen: Timestamp.micros(lastSeen))
            known[key] = entry
            cache.identities[key] = entry
        }
        return known
    }

    /// Loads every identifier of the tenant into an empty cache, if the tenant is small enough
    /// and it was not done in the last minute.
    mutating func loadWholeCacheIfWorthIt(_ identityCache: IdentityCache, tenant: Int64, citus: Bool) async throws {
        guard cache.identities.isEmpty, !cache.complete else { return }
        // Only what fits beside what other tenants hold: a whole load is not counted until it is put back.
        let room = min(identityCache.capacity / 2, identityCache.room)
        guard room > 0, identityCache.mayLoadWhole(tenant: tenant) else { return }
        var estimate = Int.max
        let rows = try await connection.query(citus
            // On a Citus coordinator the statistics of a distributed table (pg_class.reltuples)
            // stay at 0 or -1: count, never past the room (what a whole load would read anyway).
            ? "SELECT count(*) FROM (SELECT 1 FROM identities LIMIT \(room)) AS bounded"
            // reltuples is -1 before the first ANALYZE: then guess from the size (about 80 bytes a row).
            : """
              SELECT (CASE WHEN reltuples < 0 THEN pg_relation_size(oid) / 80 ELSE reltuples END)::bigint
              FROM pg_class WHERE oid = 'identities'::regclass
              """, logger: logger)
        for try await n in rows.decode(Int64.self) { estimate = Int(max(n, 0)) }
        guard estimate < room else { return }
        let all = try await connection.query("SELECT kind, value, profile_id, last_seen FROM identities", logger: logger)
        for try await (kind, value, profile, lastSeen) in all.decode((String, String, Int64, Date).self) {
            cache.identities[IdentityKey(kind, value)] = IdentityCache.Entry(profile: profile, lastSeen: Timestamp.micros(lastSeen))
        }
        cache.complete = true
    }

    /// Identifiers per kind of `profiles`: from the cache, the rest from the database (then cached).
    mutating func loadCounts(_ profiles: Set<Int64>) async throws -> [Int64: [String: Int]] {
        var counts: [Int64: [String: Int]] = [:]
        var missing: [Int64] = []
        for profile in profiles {
            if let cached = cache.counts[profile] { counts[profile] = cached } else { missing.append(profile) }
        }
        guard !missing.isEmpty else { return counts }
        let rows = try await connection.query("""
            SELECT profile_id, kind, count(*)::int FROM identities WHERE profile_id = ANY(\(missing)) GROUP BY 1, 2
            """, logger: logger)
        for try await (profile, kind, n) in rows.decode((Int64, String, Int).self) { counts[profile, default: [:]][kind] = n }
        for profile in missing { cache.counts[profile] = counts[profile] ?? [:] }
        return counts
    }

    func loadBlocks(_ profiles: Set<Int64>) async throws -> Set<[Int64]> {
        guard !profiles.isEmpty else { return [] }
        let list = Array(profiles)
        var blocks = Set<[Int64]>()
        let rows = try await connection.query(
            "SELECT profile_a, profile_b FROM merge_blocks WHERE profile_a = ANY(\(list)) OR profile_b = ANY(\(list))", logger: logger)
        for try await (a, b) in rows.decode((Int64, Int64).self) { blocks.insert([a, b]) }
        return blocks
    }

    func allocateProfileIDs(_ n: Int) async throws -> [Int64] {
        guard n > 0 else { return [] }
        let rows = try await connection.query(
            "SELECT nextval(pg_get_serial_sequence('profiles', 'id')) FROM generate_series(1, \(n))", logger: logger)
        var ids: [Int64] = []
        for try await id in rows.decode(Int64.self) { ids.append(id) }
        return ids.sorted()
    }

    func insertProfiles(_ ids: [Int64]) async throws {
        guard !ids.isEmpty else { return }
        var rows = CopyTextBuffer(capacity: ids.count * 12)
        for id in ids {
            rows.int(id)
            rows.endRow()
        }
        // COPY keeps the ids given, though the column is GENERATED ALWAYS.
        try await copy(rows, into: "profiles", columns: ["id"])
    }

    /// Moves everything of each merged profile to the live profile it ended in, and logs each merge.
    /// - Parameter blocked: the unmerge blocks known for the batch's profiles (none: nothing to carry).
    func applyMerges(_ plan: IdentityResolver.Plan, map: (Int64) -> Int64, blocked: Set<[Int64]>) async throws {
        guard !plan.merges.isEmpty else { return }
        let losers = plan.merges.map { map($0.loser) }
        let roots = losers.map { plan.live($0) }
        // `= ANY(losers)` lets each statement find the rows through the profile_id indexes;
        // the join with the pairs then picks each row's survivor.
        for table in ["identities", "events"] {
            try await connection.query("""
                UPDATE \(unescaped: table) t SET profile_id = m.root
                FROM unnest(\(losers)::bigint[], \(roots)::bigint[]) AS m(loser, root)
                WHERE t.profile_id = ANY(\(losers)) AND t.profile_id = m.loser
                """, logger: logger)
        }
        // Summaries combine into the survivor's (mid-rebuild they are recomputed after the
        // events are in: see `run`).
        if summaries.ready {
            try await connection.query(PostgresQuery(unsafeSQL: """
                WITH moved AS (DELETE FROM event_summaries WHERE profile_id = ANY($1::bigint[]) RETURNING *)
                INSERT INTO event_summaries (\(Store.summaryColumns))
                SELECT m.root, s.type, s.name, s.source, sum(s.events), min(s.first_ts), max(s.last_ts), sum(s.revenue), sum(s.orders),
                       min(s.first_order), max(s.last_order), sum(s.cost),
                       (array_agg(s.first_message ORDER BY s.first_ts, s.first_message COLLATE "C"))[1]
                FROM moved s JOIN unnest($1::bigint[], $2::bigint[]) AS m(loser, root) ON s.profile_id = m.loser
                GROUP BY 1, 2, 3, 4
                \(Store.summaryCombine)
                """, binds: { var b = PostgresBindings(); b.append(losers); b.append(roots); return b }()), logger: logger)
            try await connection.query(PostgresQuery(unsafeSQL: """
                WITH moved AS (DELETE FROM order_days WHERE profile_id = ANY($1::bigint[]) RETURNING *)
                INSERT INTO order_days (profile_id, day, orders, first_ts)
                SELECT m.root, o.day, sum(o.orders), min(o.first_ts)
                FROM moved o JOIN unnest($1::bigint[], $2::bigint[]) AS m(loser, root) ON o.profile_id = m.loser
                GROUP BY 1, 2
                \(Store.orderDaysCombine)
                """, binds: { var b = PostgresBindings(); b.append(losers); b.append(roots); return b }()), logger: logger)
            // The survivors' own rows from their combined summaries (the distinct sources of two
            // profiles do not add up).
            var touched = PostgresBindings()
            touched.append(losers + roots)
            try await Store.recomputeProfileSummaries({ "\($0) = ANY($1::bigint[])" }, binds: touched, on: connection, logger: logger)
        }
        // Memberships move in one statement: deleted from the losers, merged into the survivors.
        try await connection.query("""
            WITH moved AS (DELETE FROM group_members WHERE profile_id = ANY(\(losers)) RETURNING *)
            INSERT INTO group_members (group_id, profile_id, first_seen, last_seen)
            SELECT g.group_id, m.root, min(g.first_seen), max(g.last_seen)
            FROM moved g JOIN unnest(\(losers)::bigint[], \(roots)::bigint[]) AS m(loser, root) ON g.profile_id = m.loser
            GROUP BY 1, 2
            ON CONFLICT (group_id, profile_id) DO UPDATE
            SET first_seen = least(group_members.first_seen, excluded.first_seen),
                last_seen = greatest(group_members.last_seen, excluded.last_seen)
            """, logger: logger)
        // A pair split apart by an unmerge stays apart when either side merges on.
        if !blocked.isEmpty {
            try await connection.query("""
                INSERT INTO merge_blocks (profile_a, profile_b)
                SELECT DISTINCT least(m.root, CASE WHEN b.profile_a = m.loser THEN b.profile_b ELSE b.profile_a END),
                                greatest(m.root, CASE WHEN b.profile_a = m.loser THEN b.profile_b ELSE b.profile_a END)
                FROM merge_blocks b JOIN unnest(\(losers)::bigint[], \(roots)::bigint[]) AS m(loser, root)
                  ON b.profile_a = m.loser OR b.profile_b = m.loser
                WHERE (b.profile_a = ANY(\(losers)) OR b.profile_b = ANY(\(losers)))
                  AND m.root <> CASE WHEN b.profile_a = m.loser THEN b.profile_b ELSE b.profile_a END
                ON CONFLICT DO NOTHING
                """, logger: logger)
        }
        // The losers, and profiles merged into them earlier, now point at the survivor.
        try await connection.query("""
            UPDATE profiles SET merged_into = m.root, updated_at = now()
            FROM unnest(\(losers)::bigint[], \(roots)::bigint[]) AS m(loser, root)
            WHERE (profiles.id = ANY(\(losers)) OR profiles.merged_into = ANY(\(losers)))
              AND (profiles.id = m.loser OR profiles.merged_into = m.loser)
            """, logger: logger)
        let survivors = plan.merges.map { map($0.survivor) }
        let messageIDs = plan.merges.map { messages[$0.message].messageID }
        let kinds = plan.merges.map(\.key.kind), values = plan.merges.map(\.key.value)
        try await connection.query("""
            INSERT INTO merges (survivor_id, merged_id, message_id, kind, value, reason)
            SELECT s, l, m, k, v, 'identifier'
            FROM unnest(\(survivors)::bigint[], \(losers)::bigint[], \(messageIDs)::text[], \(kinds)::text[], \(values)::text[]) AS x(s, l, m, k, v)
            """, logger: logger)
    }

    func insertIdentities(_ plan: IdentityResolver.Plan, map: (Int64) -> Int64, live: (Int64) -> Int64) async throws {
        guard !plan.attached.isEmpty else { return }
        var rows = CopyTextBuffer(capacity: plan.attached.count * 128)
        for attached in plan.attached {
            let message = messages[attached.message]
            rows.text(attached.key.kind)
            rows.text(attached.key.value)
            rows.int(live(attached.profile))
            rows.int(map(attached.profile))
            rows.text(message.source)
            rows.timestamp(message.timestamp)
            rows.timestamp(message.timestamp)
            rows.text(message.messageID)
            rows.endRow()
        }
        try await copy(rows, into: "identities",
                       columns: ["kind", "value", "profile_id", "origin_profile_id", "source", "first_seen", "last_seen", "message_id"])
    }

    /// How far `last_seen` must advance before it is written again: rewriting an identifier's
    /// row for every message costs as much as storing the events (measured: 18 s of 90 for a
    /// million messages at an hour), so `last_seen` is kept to the day.
    static let lastSeenGranularity: Int64 = 86_400 * 1_000_000

    /// Advances `last_seen` of known identifiers seen a day or more after the recorded time.
    func touchIdentities(known: [IdentityKey: IdentityCache.Entry],
                         identifiers: [(keys: [IdentityKey], previousID: String?)]) async throws {
        var latest: [IdentityKey: Int64] = [:]
        for (index, entry) in identifiers.enumerated() {
            for key in entry.keys where known[key] != nil {
                latest[key] = max(latest[key] ?? .min, messages[index].timestamp)
            }
        }
        let newer = latest.filter { $0.value >= known[$0.key]!.lastSeen + Self.lastSeenGranularity }
        guard !newer.isEmpty else { return }
        // One statement per kind, so that each finds its rows through the primary key.
        for (kind, entries) in Dictionary(grouping: newer, by: { $0.key.kind }) {
            let values = entries.map(\.key.value), times = entries.map { Timestamp.date($0.value) }
            try await connection.query("""
                UPDATE identities SET last_seen = x.t
                FROM unnest(\(values)::text[], \(times)::timestamptz[]) AS x(v, t)
                WHERE identities.kind = \(kind) AND identities.value = ANY(\(values)) AND identities.value = x.v
                  AND identities.last_seen < x.t
                """, logger: logger)
        }
    }

    func insertConflicts(_ plan: IdentityResolver.Plan, map: (Int64) -> Int64) async throws {
        guard !plan.conflicts.isEmpty else { return }
        let c = plan.conflicts
        let others: [Int64] = c.map { $0.other.map(map) ?? 0 }
        try await connection.query("""
            INSERT INTO identity_conflicts (message_id, kind, value, profile_id, other_profile_id, reason)
            SELECT m, k, v, p, nullif(o, 0), r FROM unnest(\(c.map { messages[$0.message].messageID })::text[], \(c.map(\.key.kind))::text[],
                                 \(c.map(\.key.value))::text[], \(c.map { map($0.profile) })::bigint[],
                                 \(others)::bigint[], \(c.map(\.reason))::text[]) AS x(m, k, v, p, o, r)
            """, logger: logger)
    }

    /// Merged profiles' traits combine into the survivor; identify traits apply to their profile.
    /// A trait keeps the value of the highest-precedence source, then the most recent.
    func updateTraits(plan: IdentityResolver.Plan, map: (Int64) -> Int64, live: [Int64], settings: TenantIngestSettings) async throws {
        let identifies = messages.indices.filter { messages[$0].type == .identify && !messages[$0].payload.isEmpty }
        guard !identifies.isEmpty || !plan.merges.isEmpty else { return }
        var involved = Set(identifies.map { live[$0] })
        for merge in plan.merges { involved.insert(map(merge.loser)); involved.insert(plan.live(map(merge.loser))) }
        var states = try await loadTraits(involved)
        var changed = Set<Int64>()
        for merge in plan.merges {
            let loser = map(merge.loser), root = plan.live(loser)
            guard let absorbed = states[loser], !absorbed.traits.isEmpty else { continue }
            if states[root, default: TraitState()].absorb(absorbed, settings: settings) { changed.insert(root) }
        }
        for index in identifies {
            let message = messages[index]
            if states[live[index], default: TraitState()].apply(message.payload, source: message.source, at: message.timestamp, settings: settings) {
                changed.insert(live[index])
            }
        }
        guard !changed.isEmpty else { return }
        let ids = Array(changed)
        let traits = ids.map { JSONValue.object(states[$0]!.traits).jsonText }
        let sources = ids.map { states[$0]!.sourcesJSON.jsonText }
        try await connection.query("""
            UPDATE profiles SET traits = x.t::jsonb, trait_sources = x.s::jsonb, updated_at = now()
            FROM unnest(\(ids)::bigint[], \(traits)::text[], \(sources)::text[]) AS x(id, t, s)
            WHERE profiles.id = ANY(\(ids)) AND profiles.id = x.id
            """, logger: logger)
    }

    func loadTraits(_ ids: Set<Int64>) async throws -> [Int64: TraitState] {
        var states: [Int64: TraitState] = [:]
        let rows = try await connection.query(
            "SELECT id, traits::text, trait_sources::text FROM profiles WHERE id = ANY(\(Array(ids)))", logger: logger)
        for try await (id, traits, sources) in rows.decode((Int64, String, String).self) {
            states[id] = TraitState(traitsJSON: traits, sourcesJSON: sources)
        }
        return states
    }

    func upsertGroups(live: [Int64]) async throws {
        var traits: [String: [String: JSONValue]] = [:]
        var members: [String: (group: String, profile: Int64, seen: Int64)] = [:]
        for (index, message) in messages.enumerated() where message.type == .group {
            guard let group = message.groupID else { continue }
            traits[group, default: [:]].merge(message.payload) { $1 }
            let key = "\(group)\u{0}\(live[index])"
            members[key] = (group, live[index], max(members[key]?.seen ?? .min, message.timestamp))
        }
        guard !traits.isEmpty else { return }
        let groups = Array(traits.keys)
        try await connection.query("""
            INSERT INTO groups (group_id, traits)
            SELECT g, t::jsonb FROM unnest(\(groups)::text[], \(groups.map { JSONValue.object(traits[$0]!).jsonText })::text[]) AS x(g, t)
            ON CONFLICT (group_id) DO UPDATE SET traits = groups.traits || excluded.traits, updated_at = excluded.updated_at
            """, logger: logger)
        let list = Array(members.values)
        try await connection.query("""
            INSERT INTO group_members (group_id, profile_id, first_seen, last_seen)
            SELECT g, p, t, t FROM unnest(\(list.map(\.group))::text[], \(list.map(\.profile))::bigint[],
                                          \(list.map { Timestamp.date($0.seen) })::timestamptz[]) AS x(g, p, t)
            ON CONFLICT (group_id, profile_id) DO UPDATE SET last_seen = greatest(group_members.last_seen, excluded.last_seen)
            """, logger: logger)
    }

    func copyEvents(origins: [Int64], live: [Int64]) async throws {
        var rows = CopyTextBuffer(capacity: messages.count * 512)
        for (index, message) in messages.enumerated() {
            rows.text(message.messageID)
            rows.int(live[index])
            rows.int(origins[index])
            rows.text(message.type.rawValue)
            rows.text(message.name)
            rows.timestamp(message.timestamp)
            rows.timestamp(message.receivedAt)
            rows.text(message.source)
            rows.json(message.eventProperties)
            rows.json(message.context)
            rows.endRow()
        }
        try await copy(rows, into: "events",
                       columns: ["message_id", "profile_id", "origin_profile_id", "type", "name", "ts", "received_at", "source", "props", "context"])
    }

    /// Adds the batch's events to their profiles' summaries, in one statement: per profile
    /// and event, the count and first and last `ts`, and per profile the same over all its
    /// events with its first event's source and the sources new to it (gathered here); each
    /// revenue or cost event's value (the numbers of its flow properties) is summed by the
    /// database, exactly, and so are the orders and the value sums.
    func summarise(live: [Int64]) async throws {
        // Names are keyed by their bytes: the database tells "é" composed from "é" decomposed,
        // where Swift's string equality does not.
        struct Name: Hashable {
            var text: String
            static func == (a: Name, b: Name) -> Bool { a.text.sameBytes(as: b.text) }
            func hash(into hasher: inout Hasher) { text.hashBytes(into: &hasher) }
        }
        struct Key: Hashable { var profile: Int64; var type: String; var name: Name; var source: Name }
        /// Events gathered: how many, the first in event order (its time, message id and
        /// source) and the last time.
        struct Span {
            var events: Int64 = 0, first: Int64 = 0, message = "", source = "", last: Int64 = 0
            /// Whether the event (ts, message id) comes before the first so far in event order
            /// (message ids in byte order, as `COLLATE "C"`).
            func precedes(_ ts: Int64, _ message: String) -> Bool {
                ts < first || (ts == first && message.utf8.lexicographicallyPrecedes(self.message.utf8))
            }
            mutating func add(_ ts: Int64, _ message: String, source: String) {
                if events == 0 || precedes(ts, message) { (first, self.message, self.source) = (ts, message, source) }
                last = events == 0 ? ts : max(last, ts)
                events += 1
            }
        }
        struct Rows {
            var profile: [Int64] = [], type: [String] = [], name: [String] = [], source: [String] = [], events: [Int64] = []
            var first: [String] = [], last: [String] = [], message: [String] = [], revenue: [String] = [], cost: [String] = []
            mutating func append(_ key: Key, _ span: Span, revenue: String = "", cost: String = "") {
                profile.append(key.profile); type.append(key.type); name.append(key.name.text); source.append(key.source.text)
                events.append(span.events); first.append(Rows.text(span.first)); last.append(Rows.text(span.last)); message.append(span.message)
                self.revenue.append(revenue); self.cost.append(cost)
            }
            static func text(_ micros: Int64) -> String {
                var bytes: [UInt8] = []
                Timestamp.write(micros, to: &bytes)
                return String(decoding: bytes, as: UTF8.self)
            }
        }
        let revenue = Dictionary(SummaryFlows.byEvent(summaries.flows?.revenue ?? []).map { (Name(text: $0.event), $0.properties) },
                                 uniquingKeysWith: { a, _ in a })
        let cost = Dictionary(SummaryFlows.byEvent(summaries.flows?.cost ?? []).map { (Name(text: $0.event), $0.properties) },
                              uniquingKeysWith: { a, _ in a })
        /// The numbers among `properties` of the event, as a JSON array (nil: none is a number).
        func numbers(_ properties: [String]?, of message: IngestMessage) -> String? {
            guard let properties else { return nil }
            let found = properties.compactMap { property -> String? in
                // The payload holds one key of those equivalent to `property`; it counts only if
                // it is the same bytes, as `props -> property` reads it.
                guard let index = message.payload.index(forKey: property), message.payload[index].key.sameBytes(as: property),
                      case .number(let n) = message.payload[index].value else { return nil }
                return n
            }
            return found.isEmpty ? nil : "[" + found.joined(separator: ",") + "]"
        }
        // Per summary key, its events without a value; the events with one (revenue or cost)
        // are rows of their own, since whether one counts as an order depends on its value,
        // which the database sums. Per profile, all its events, and its sources.
        var plain: [Key: Span] = [:]
        var valued = Rows()
        var valuedKeys = Set<Key>()
        var profiles: [Int64: (span: Span, sources: Set<Name>)] = [:]
        for (index, message) in messages.enumerated() {
            let isTrack = message.type == .track
            let key = Key(profile: live[index], type: message.type.rawValue, name: Name(text: isTrack ? message.name ?? "" : ""),
                          source: Name(text: message.source ?? ""))
            profiles[key.profile, default: (Span(), [])].span.add(message.timestamp, message.messageID, source: key.source.text)
            if !key.source.text.isEmpty { profiles[key.profile]!.sources.insert(key.source) }
            let (r, c) = isTrack ? (numbers(revenue[key.name], of: message), numbers(cost[key.name], of: message)) : (nil, nil)
            if r == nil && c == nil {
                plain[key, default: Span()].add(message.timestamp, message.messageID, source: key.source.text)
            } else {
                var span = Span()
                span.add(message.timestamp, message.messageID, source: key.source.text)
                valued.append(key, span, revenue: r ?? "", cost: c ?? "")
                valuedKeys.insert(key)
            }
        }
        guard !profiles.isEmpty else { return }
        // A key without value events is a summary row as it is (`whole`); one with them is
        // grouped with them by the database (`valued`).
        var whole = Rows()
        for (key, span) in plain {
            if valuedKeys.contains(key) { valued.append(key, span) } else { whole.append(key, span) }
        }
        var batch: (profile: [Int64], events: [Int64], first: [String], last: [String], message: [String], source: [String], sources: [Int64])
            = ([], [], [], [], [], [], [])
        for (profile, (span, sources)) in profiles {
            batch.profile.append(profile); batch.events.append(span.events); batch.first.append(Rows.text(span.first))
            batch.last.append(Rows.text(span.last)); batch.message.append(span.message); batch.source.append(span.source)
            batch.sources.append(Int64(sources.count))
        }
        // The rows to group (`x`) and those whole go into `event_summaries` (`g`); each
        // profile's row (`b`, with the value sums of its value events, `v`, and its sources
        // less those it had, `known`) into `profile_summaries`; the orders into `order_days`.
        try await connection.query("""
            WITH x AS MATERIALIZED (
                SELECT p, t, n, s, c, f, l, m,
                       CASE WHEN r <> '' THEN (SELECT sum(x::numeric) FROM json_array_elements_text(r::json) x) END AS rv,
                       CASE WHEN k <> '' THEN (SELECT sum(x::numeric) FROM json_array_elements_text(k::json) x) END AS cv
                FROM unnest(\(valued.profile)::bigint[], \(valued.type)::text[], \(valued.name)::text[], \(valued.source)::text[],
                            \(valued.events)::bigint[], \(valued.first)::timestamptz[], \(valued.last)::timestamptz[],
                            \(valued.revenue)::text[], \(valued.cost)::text[], \(valued.message)::text[])
                     AS u(p, t, n, s, c, f, l, r, k, m)
            ), g AS MATERIALIZED (
                SELECT p AS profile_id, t AS type, n AS name, s AS source, sum(c) AS events, min(f) AS first_ts, max(l) AS last_ts,
                       sum(rv) AS revenue, count(*) FILTER (WHERE rv > 0) AS orders, min(f) FILTER (WHERE rv > 0) AS first_order,
                       max(l) FILTER (WHERE rv > 0) AS last_order, sum(cv) AS cost, (array_agg(m ORDER BY f, m COLLATE "C"))[1] AS first_message
                FROM x
                GROUP BY 1, 2, 3, 4
                UNION ALL
                SELECT p, t, n, s, c, f, l, NULL::numeric, 0::bigint, NULL::timestamptz, NULL::timestamptz, NULL::numeric, m
                FROM unnest(\(whole.profile)::bigint[], \(whole.type)::text[], \(whole.name)::text[], \(whole.source)::text[],
                            \(whole.events)::bigint[], \(whole.first)::timestamptz[], \(whole.last)::timestamptz[], \(whole.message)::text[])
                     AS w(p, t, n, s, c, f, l, m)
            ), summaries AS (
                INSERT INTO event_summaries (\(unescaped: Store.summaryColumns))
                SELECT \(unescaped: Store.summaryColumns) FROM g
                \(unescaped: Store.summaryCombine)
            ), \(unescaped: Store.batchKnownSources), orders AS (
                INSERT INTO order_days (profile_id, day, orders, first_ts)
                SELECT p, (f AT TIME ZONE 'UTC')::date, count(*), min(f) FROM x WHERE rv > 0 GROUP BY 1, 2
                \(unescaped: Store.orderDaysCombine)
            ), b AS MATERIALIZED (
                SELECT * FROM unnest(\(batch.profile)::bigint[], \(batch.events)::bigint[], \(batch.first)::timestamptz[],
                                     \(batch.last)::timestamptz[], \(batch.message)::text[], \(batch.source)::text[], \(batch.sources)::bigint[])
                              AS b(p, events, f, l, m, s, sources)
            ), v AS MATERIALIZED (
                SELECT p, sum(rv) AS revenue, count(*) FILTER (WHERE rv > 0) AS orders, min(f) FILTER (WHERE rv > 0) AS first_order,
                       max(l) FILTER (WHERE rv > 0) AS last_order, sum(cv) AS cost
                FROM x GROUP BY 1
            )
            INSERT INTO profile_summaries (\(unescaped: Store.profileSummaryColumns))
            SELECT b.p, b.events, b.f, b.l, b.m, b.s, v.revenue, coalesce(v.orders, 0), v.first_order, v.last_order, v.cost,
                   b.sources - coalesce(k.sources, 0)
            FROM b LEFT JOIN v ON v.p = b.p LEFT JOIN known k ON k.profile_id = b.p
            \(unescaped: Store.profileSummaryCombine)
            """, logger: logger)
    }

    /// COPYs `rows` into `table` of the tenant's schema (the search path of the transaction).
    func copy(_ rows: CopyTextBuffer, into table: String, columns: [String]) async throws {
        let buffer = rows.byteBuffer
        try await connection.copyFrom(table: table, columns: columns, logger: logger) { writer in try await writer.write(buffer) }
    }

    /// Records every event name, and each trait and property name with its observed type.
    mutating func recordCatalogue() async throws {
        var entries = Set<CatalogueEntry>()
        for message in messages {
            switch message.type {
            case .track:
                let event = message.name ?? ""
                entries.insert(CatalogueEntry("event", event, "event"))
                for (key, value) in message.payload { entries.insert(CatalogueEntry("property", "\(event).\(key)", value.typeName)) }
            case .identify:
                for (key, value) in message.payload { entries.insert(CatalogueEntry("trait", key, value.typeName)) }
            case .page, .screen:
                entries.insert(CatalogueEntry("event", message.type.rawValue, "event"))
                for (key, value) in message.payload {
                    entries.insert(CatalogueEntry("property", "\(message.type.rawValue).\(key)", value.typeName))
                }
            case .group, .alias:
                break
            }
        }
        // Names past 500 bytes would not fit the catalogue's index; the events keep them all the same.
        entries = entries.filter { $0.name.text.utf8.count <= 500 }
        if let catalogue { entries = catalogue.cache.unknown(entries, tenant: catalogue.tenant) }
        guard !entries.isEmpty else { return }
        // Every query reads the catalogue: past its bound, new names are kept in the events but
        // not catalogued (so not queryable by name), whatever a tenant sends. The room is read
        // first (ingestion holds the tenant's lock, so it stays true): an INSERT … SELECT with a
        // LIMIT is one that Citus 13.2 sends to a worker malformed.
        var held = 0
        for try await n in try await connection.query("SELECT count(*) FROM catalogue", logger: logger).decode(Int64.self) {
            held = Int(n)
        }
        let list = Array(entries.sorted().prefix(max(0, Store.maxCatalogueEntries - held)))
        if !list.isEmpty {
            try await connection.query("""
                INSERT INTO catalogue (kind, name, type)
                SELECT * FROM unnest(\(list.map(\.kind))::text[], \(list.map(\.name.text))::text[], \(list.map(\.type))::text[])
                ON CONFLICT (kind, name, type) DO NOTHING
                """, logger: logger)
        }
        recordedCatalogue = entries
    }
}

/// A row of the tenant's catalogue: its name compared byte for byte, as the table's unique
/// index compares it (two spellings of "é" are two names).
struct CatalogueEntry: Hashable, Comparable, Sendable {
    var kind: String
    var name: ExactName
    var type: String

    init(_ kind: String, _ name: String, _ type: String) {
        self.kind = kind
        self.name = ExactName(name)
        self.type = type
    }

    static func < (a: CatalogueEntry, b: CatalogueEntry) -> Bool {
        (a.kind, a.name, a.type) < (b.kind, b.name, b.type)
    }
}

extension IngestMessage {
    /// What the event row's `props` holds: a track's, page's or screen's properties; an
    /// identify's or group's traits (with the group id); an alias's previous id.
    var eventProperties: [String: JSONValue] {
        switch type {
        case .group:
            var props = payload
            props["group_id"] = groupID.map(JSONValue.string) ?? .null
            return props
        case .alias:
            return ["previous_id": previousID.map(JSONValue.string) ?? .null]
        default:
            return payload
        }
    }
}

/// A profile's traits with, for each, the source that set it and when.
struct TraitState {
    var traits: [String: JSONValue] = [:]
    var sources: [String: (source: String?, at: Int64)] = [:]

    init() {}

    init(traitsJSON: String, sourcesJSON: String) {
        traits = (try? JSONParser.parse(Array(traitsJSON.utf8)))?.objectValue ?? [:]
        for (name, meta) in (try? JSONParser.parse(Array(sourcesJSON.utf8)))?.objectValue ?? [:] {
            let at = meta["at"]?.stringValue.flatMap(Timestamp.parse) ?? 0
            sources[name] = (meta["source"]?.stringValue, at)
        }
    }

    var sourcesJSON: JSONValue {
        .object(sources.mapValues { .object(["source": $0.source.map(JSONValue.string) ?? .null, "at": .string(Timestamp.format($0.at))]) })
    }

    /// Sets each trait unless a higher-precedence source, or the same rank more recently, set it.
    /// A value sent again unchanged by the same source keeps the time it was first set.
    /// - Returns: whether anything changed.
    @discardableResult
    mutating func apply(_ values: [String: JSONValue], source: String?, at: Int64, settings: TenantIngestSettings) -> Bool {
        var changed = false
        for (name, value) in values where offer(name, value, source: source, at: at, settings: settings) { changed = true }
        return changed
    }

    /// Takes the traits of a profile merged into this one, by the same rules.
    /// - Returns: whether anything changed.
    mutating func absorb(_ other: TraitState, settings: TenantIngestSettings) -> Bool {
        var changed = false
        for (name, value) in other.traits {
            let meta = other.sources[name] ?? (nil, 0)
            if offer(name, value, source: meta.source, at: meta.at, settings: settings) { changed = true }
        }
        return changed
    }

    /// Sets one trait if the rules let `source` at `at` replace what is there.
    private mutating func offer(_ name: String, _ value: JSONValue, source: String?, at: Int64, settings: TenantIngestSettings) -> Bool {
        if let current = sources[name] {
            if !wins(source, at, over: current, settings: settings) { return false }
            if traits[name] == value && current.source == source { return false }
        }
        traits[name] = value
        sources[name] = (source, at)
        return true
    }

    private func wins(_ source: String?, _ at: Int64, over current: (source: String?, at: Int64), settings: TenantIngestSettings) -> Bool {
        let (new, old) = (settings.rank(source), settings.rank(current.source))
        return new < old || (new == old && at >= current.at)
    }
}

/// Times the steps of an ingestion transaction into the `rapport_ingest_step_seconds` timer
/// (one dimension per step), which `/metrics` exposes.
struct StepClock {
    private var last = ContinuousClock.now

    mutating func lap(_ step: String) {
        let now = ContinuousClock.now
        Metrics.Timer(label: "rapport_ingest_step_seconds", dimensions: [("step", step)]).recordInterval(since: last, end: now)
        last = now
    }
}

extension Metrics.Timer {
    func recordInterval(since start: ContinuousClock.Instant, end: ContinuousClock.Instant) {
        let d = end - start
        recordNanoseconds(d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000)
    }
}
