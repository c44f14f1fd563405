import Foundation
import PostgresNIO

/// What an unmerge did.
public struct UnmergeResult: Sendable, Codable, Equatable {
    /// The profile split back out, live again.
    public var restoredProfileID: Int64
    /// The profile it had been merged into.
    public var survivorID: Int64
    /// The restored profile and the profiles that had been merged into it before.
    public var restoredMembers: [Int64]
    public var identitiesMoved: Int
    public var eventsMoved: Int

    enum CodingKeys: String, CodingKey {
        case restoredProfileID = "restored_profile_id"
        case survivorID = "survivor_id"
        case restoredMembers = "restored_members"
        case identitiesMoved = "identities_moved"
        case eventsMoved = "events_moved"
    }
}

extension Store {
    /// Splits `merged` back out of the live profile `survivor`, by the merge log: identifiers and
    /// events that first joined `merged` (or a profile merged into it before) go back to it;
    /// both profiles' traits and group memberships are rebuilt from their own events; and the
    /// pair is blocked so identity resolution does not merge them again.
    public func unmerge(survivor: Int64, merged: Int64, tenant: Tenant, actor: String) async throws -> UnmergeResult {
        try await withTenant(tenant) { connection in
            try await Self.lockIngestion(on: connection, logger: logger)
            // Identifiers move: every process's cache of this tenant's identities is stale now.
            _ = try await Self.advanceIngestEpoch(on: connection, logger: logger)
            guard case .found = try await Self.profile(survivor, on: connection, logger: logger) else {
                throw StoreError.invalidInput("Profile \(survivor) is not a live profile.")
            }
            let tree = try await Self.mergeTree(of: survivor, on: connection, logger: logger)
            guard merged != survivor, tree.contains(merged) else {
                throw StoreError.invalidInput("Profile \(merged) was not merged into profile \(survivor).")
            }
            let restored = try await Self.mergeTree(of: merged, on: connection, logger: logger)

            var identitiesMoved = 0, eventsMoved = 0
            for try await n in try await connection.query("""
                WITH moved AS (UPDATE identities SET profile_id = \(merged)
                               WHERE profile_id = \(survivor) AND origin_profile_id = ANY(\(restored)) RETURNING 1)
                SELECT count(*)::int FROM moved
                """, logger: logger).decode(Int.self) { identitiesMoved = n }
            for try await n in try await connection.query("""
                WITH moved AS (UPDATE events SET profile_id = \(merged)
                               WHERE profile_id = \(survivor) AND origin_profile_id = ANY(\(restored)) RETURNING 1)
                SELECT count(*)::int FROM moved
                """, logger: logger).decode(Int.self) { eventsMoved = n }
            try await connection.query("""
                UPDATE profiles SET merged_into = CASE WHEN id = \(merged) THEN NULL ELSE \(merged) END, updated_at = now()
                WHERE id = ANY(\(restored))
                """, logger: logger)
            try await connection.query("""
                UPDATE merges SET undone_at = now() WHERE merged_id = \(merged) AND undone_at IS NULL AND reason = 'identifier'
                """, logger: logger)
            try await connection.query("""
                INSERT INTO merges (survivor_id, merged_id, reason) VALUES (\(survivor), \(merged), 'unmerge')
                """, logger: logger)
            try await connection.query("""
                INSERT INTO merge_blocks (profile_a, profile_b) VALUES (\(min(survivor, merged)), \(max(survivor, merged)))
                ON CONFLICT DO NOTHING
                """, logger: logger)
            try await Self.rebuildFromEvents([survivor, merged], on: connection, logger: logger)
            // The summaries of both, from the events each now has.
            let summaries = try await Self.summaryState(on: connection, logger: logger)
            try await Self.recomputeSummaries(of: [survivor, merged], flows: summaries.flows, on: connection, logger: logger)
            return UnmergeResult(restoredProfileID: merged, survivorID: survivor, restoredMembers: restored,
                                 identitiesMoved: identitiesMoved, eventsMoved: eventsMoved)
        }
    }

    /// Rebuilds the traits (replaying identify events by source precedence, then recency) and
    /// the group memberships of `profiles` from their events.
    static func rebuildFromEvents(_ profiles: [Int64], on connection: PostgresConnection, logger: Logger) async throws {
        let settings = try await ingestSettings(on: connection, logger: logger)
        var states = Dictionary(uniqueKeysWithValues: profiles.map { ($0, TraitState()) })
        let rows = try await connection.query("""
            SELECT profile_id, props::text, source, ts FROM events
            WHERE profile_id = ANY(\(profiles)) AND type = 'identify' ORDER BY ts, message_id
            """, logger: logger)
        for try await (profile, props, source, ts) in rows.decode((Int64, String, String?, Date).self) {
            let traits = (try? JSONParser.parse(Array(props.utf8)))?.objectValue ?? [:]
            states[profile]?.apply(traits, source: source, at: Timestamp.micros(ts), settings: settings)
        }
        let traits = profiles.map { JSONValue.object(states[$0]!.traits).jsonText }
        let sources = profiles.map { states[$0]!.sourcesJSON.jsonText }
        try await connection.query("""
            UPDATE profiles SET traits = x.t::jsonb, trait_sources = x.s::jsonb, updated_at = now()
            FROM unnest(\(profiles)::bigint[], \(traits)::text[], \(sources)::text[]) AS x(id, t, s) WHERE profiles.id = x.id
            """, logger: logger)
        try await connection.query("DELETE FROM group_members WHERE profile_id = ANY(\(profiles))", logger: logger)
        try await connection.query("""
            INSERT INTO group_members (group_id, profile_id, first_seen, last_seen)
            SELECT props->>'group_id', profile_id, min(ts), max(ts) FROM events
            WHERE profile_id = ANY(\(profiles)) AND type = 'group' AND props->>'group_id' IS NOT NULL
            GROUP BY 1, 2
            """, logger: logger)
    }
}
