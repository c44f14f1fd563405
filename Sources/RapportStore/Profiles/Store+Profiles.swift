import Foundation
import PostgresNIO

extension Store {
    /// The profile `id`, or where it was merged to.
    public func profile(_ id: Int64, tenant: Tenant) async throws -> ProfileLookup {
        try await withTenant(tenant, readOnly: true) { connection in
            try await Self.profile(id, on: connection, logger: logger)
        }
    }

    static func profile(_ id: Int64, on connection: PostgresConnection, logger: Logger) async throws -> ProfileLookup {
        let rows = try await connection.query("""
            SELECT merged_into, traits::text, trait_sources::text, created_at, updated_at FROM profiles WHERE id = \(id)
            """, logger: logger)
        for try await (mergedInto, traits, sources, createdAt, updatedAt) in rows.decode((Int64?, String, String, Date, Date).self) {
            if let mergedInto { return .merged(into: mergedInto) }
            let state = TraitState(traitsJSON: traits, sourcesJSON: sources)
            var traitValues: [String: TraitValue] = [:]
            for (name, value) in state.traits {
                let meta = state.sources[name]
                traitValues[name] = TraitValue(value: RawJSON(value.jsonText), source: meta?.source,
                                               at: meta.map { Timestamp.date($0.at) })
            }
            let identities = try await identityRecords(of: id, on: connection, logger: logger)
            var groups: [String] = []
            for try await group in try await connection.query(
                "SELECT group_id FROM group_members WHERE profile_id = \(id) ORDER BY group_id", logger: logger).decode(String.self) {
                groups.append(group)
            }
            return .found(Profile(id: id, traits: traitValues, identities: identities, groups: groups, createdAt: createdAt, updatedAt: updatedAt))
        }
        return .missing
    }

    static func identityRecords(of id: Int64, on connection: PostgresConnection, logger: Logger) async throws -> [IdentityRecord] {
        let rows = try await connection.query("""
            SELECT kind, value, source, first_seen, last_seen, message_id, origin_profile_id
            FROM identities WHERE profile_id = \(id) ORDER BY kind, last_seen DESC, value
            """, logger: logger)
        var records: [IdentityRecord] = []
        for try await (kind, value, source, first, last, message, origin) in rows.decode((String, String, String?, Date, Date, String?, Int64?).self) {
            records.append(IdentityRecord(kind: kind, value: value, source: source, firstSeen: first, lastSeen: last,
                                          messageID: message, originProfileID: origin))
        }
        return records
    }

    /// The live profile holding identifier `value` of `kind` (normalised as the tenant's rules say).
    public func lookupProfile(kind: String, value: String, tenant: Tenant) async throws -> Int64? {
        let settings = try await ingestSettings(tenant: tenant)
        guard settings.rules.kind(kind) != nil else {
            throw StoreError.invalidInput("`\(kind)` is not an identity kind of this tenant (\(settings.rules.kinds.map(\.name).joined(separator: ", "))).")
        }
        guard let normalized = settings.rules.normalize(value, kind: kind) else { return nil }
        return try await withTenant(tenant, readOnly: true) { connection in
            let rows = try await connection.query(
                "SELECT profile_id FROM identities WHERE kind = \(kind) AND value = \(normalized)", logger: logger)
            for try await id in rows.decode(Int64.self) { return id }
            return nil
        }
    }

    /// The profile's events, newest first, `limit` at a time.
    /// - Parameters:
    ///   - cursor: the `nextCursor` of the previous page.
    ///   - name: only the events of this name (a track's event, a page's or screen's name).
    public func timeline(of id: Int64, tenant: Tenant, cursor: String?, limit: Int, name: String? = nil) async throws -> TimelinePage {
        guard (1...1000).contains(limit) else { throw StoreError.invalidInput("`limit` must be between 1 and 1000.") }
        var afterTS = Date.distantFuture, afterID = ""
        if let cursor {
            guard let data = Data(base64Encoded: cursor), let text = String(data: data, encoding: .utf8),
                  let bar = text.firstIndex(of: "|"), let micros = Int64(text[..<bar]) else {
                throw StoreError.invalidInput("The cursor is not one this API gave out.")
            }
            afterTS = Timestamp.date(micros)
            afterID = String(text[text.index(after: bar)...])
        }
        let unbounded = cursor == nil
        let anyName = name == nil
        return try await withTenant(tenant, readOnly: true) { [afterTS, afterID] connection in
            let rows = try await connection.query("""
                SELECT message_id, type, name, ts, received_at, source, props::text, context::text FROM events
                WHERE profile_id = \(id) AND (\(unbounded) OR (ts, message_id) < (\(afterTS), \(afterID)))
                  AND (\(anyName) OR name = \(name ?? ""))
                ORDER BY ts DESC, message_id DESC LIMIT \(limit + 1)
                """, logger: logger)
            var events: [TimelineEvent] = []
            for try await (message, type, name, ts, received, source, props, context) in rows.decode(
                (String, String, String?, Date, Date, String?, String, String).self) {
                events.append(TimelineEvent(messageID: message, type: type, name: name, ts: ts, receivedAt: received, source: source,
                                            properties: RawJSON(props), context: RawJSON(context)))
            }
            var next: String?
            if events.count > limit {
                events.removeLast()
                let last = events[events.count - 1]
                next = Data("\(Timestamp.micros(last.ts))|\(last.messageID)".utf8).base64EncodedString()
            }
            return TimelinePage(events: events, nextCursor: next)
        }
    }

    /// How many events profile `id` holds (what an erasure of it would delete of them).
    public func eventCount(of id: Int64, tenant: Tenant) async throws -> Int {
        try await withTenant(tenant, readOnly: true) { connection in
            for try await count in try await connection.query("SELECT count(*) FROM events WHERE profile_id = \(id)", logger: logger).decode(Int64.self) {
                return Int(count)
            }
            return 0
        }
    }

    /// The identity graph of a live profile: why it holds each identifier.
    public func identityGraph(of id: Int64, tenant: Tenant) async throws -> IdentityGraph {
        try await withTenant(tenant, readOnly: true) { connection in
            let members = try await Self.mergeTree(of: id, on: connection, logger: logger)
            let identities = try await Self.identityRecords(of: id, on: connection, logger: logger)
            var merges: [MergeRecord] = []
            let rows = try await connection.query("""
                SELECT id, survivor_id, merged_id, message_id, kind, value, reason, at, undone_at FROM merges
                WHERE survivor_id = ANY(\(members)) OR merged_id = ANY(\(members)) ORDER BY at, id
                """, logger: logger)
            for try await (mid, s, m, message, kind, value, reason, at, undone) in rows.decode(
                (Int64, Int64, Int64, String?, String?, String?, String, Date, Date?).self) {
                merges.append(MergeRecord(id: mid, survivorID: s, mergedID: m, messageID: message, kind: kind, value: value,
                                          reason: reason, at: at, undoneAt: undone))
            }
            var conflicts: [ConflictRecord] = []
            let conflictRows = try await connection.query("""
                SELECT message_id, kind, value, other_profile_id, reason, at FROM identity_conflicts
                WHERE profile_id = ANY(\(members)) ORDER BY at, id LIMIT 1000
                """, logger: logger)
            for try await (message, kind, value, other, reason, at) in conflictRows.decode((String, String, String, Int64?, String, Date).self) {
                conflicts.append(ConflictRecord(messageID: message, kind: kind, value: value, otherProfileID: other, reason: reason, at: at))
            }
            return IdentityGraph(profileID: id, members: members, identities: identities, merges: merges, conflicts: conflicts)
        }
    }

    /// `id` and every profile merged into it (not undone), directly or through another.
    static func mergeTree(of id: Int64, on connection: PostgresConnection, logger: Logger) async throws -> [Int64] {
        let rows = try await connection.query("""
            WITH RECURSIVE tree(id) AS (
                SELECT \(id)::bigint
                UNION
                SELECT m.merged_id FROM merges m JOIN tree ON m.survivor_id = tree.id
                WHERE m.undone_at IS NULL AND m.reason = 'identifier'
            )
            SELECT id FROM tree ORDER BY id
            """, logger: logger)
        var ids: [Int64] = []
        for try await member in rows.decode(Int64.self) { ids.append(member) }
        return ids
    }
}
