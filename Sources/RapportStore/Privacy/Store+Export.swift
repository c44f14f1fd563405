import Foundation
import Logging
import PostgresNIO

/// Writes an export into `rapport.privacy_exports` a chunk at a time, as it is produced.
struct ExportSink {
    static let chunkSize = 1 << 20
    let request: String
    let client: PostgresClient
    let logger: Logger
    var buffer: [UInt8] = []
    var seq = 0
    var bytes: Int64 = 0

    mutating func write(_ text: String) async throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= Self.chunkSize { try await flush() }
    }

    mutating func flush() async throws {
        guard !buffer.isEmpty else { return }
        let data = Data(buffer)
        try await client.query("INSERT INTO rapport.privacy_exports (request_id, seq, data) VALUES (\(request), \(seq), \(data))", logger: logger)
        bytes += Int64(buffer.count)
        seq += 1
        buffer.removeAll(keepingCapacity: true)
    }
}

extension Store {
    /// The export document's format, checked by `Schemas/privacy-export.schema.json`.
    public static let exportFormat = "rapport.privacy-export/1"

    /// Art. 15 and 20: one JSON document with everything held on the subject, read from one
    /// snapshot and streamed into the request's export chunks (never whole in memory).
    func export(_ subject: PrivacySubject, request: PrivacyRequest, tenant: Tenant,
                on connection: PostgresConnection) async throws -> ([String: Int64], [String]) {
        let hasher = try await identifierHasher(tenant)
        let logger = self.logger
        _ = try await client.query("DELETE FROM rapport.privacy_exports WHERE request_id = \(request.id)", logger: logger)

        // Who the subject is now, the saved segments it is in, and the requests about it.
        let reach = try await inTenant(tenant, on: connection) { try await Self.reach(subject, on: $0, logger: logger) }
        let hashes = reach.identifiers.map(hasher.hash)
        var segments: [String] = []
        for segment in try await self.segments(tenant: tenant) {
            for id in reach.live {
                let answer = try await query("segment `\(segment.name)` | where id = \(id) | select id", tenant: tenant)
                if answer.last?.rows.isEmpty == false { segments.append(#"{"segment":\#(jsonString(segment.name)),"profile_id":\#(id)}"#) }
            }
        }
        let requests = try await connection.query("""
            SELECT json_build_object('id', id, 'type', type, 'status', status, 'subject_kind', subject_kind,
                                     'received_at', to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                                     'completed_at', to_char(completed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))::text
            FROM rapport.privacy_requests
            WHERE tenant_id = \(tenant.id)
              AND (id = \(request.id) OR encode(subject_hash, 'hex') = ANY(\(hashes))
                   OR EXISTS (SELECT 1 FROM unnest(reached_hashes) r WHERE encode(r, 'hex') = ANY(\(hashes))))
            ORDER BY received_at, id
            """, logger: logger)
        var requestItems: [String] = []
        for try await item in requests.decode(String.self) { requestItems.append(item) }
        let information = try await privacySettings(tenant: tenant)

        var sink = ExportSink(request: request.id, client: client, logger: logger)
        let counts = try await inTenant(tenant, snapshot: true, on: connection) { connection in
            var counts: [String: Int64] = [:]
            // The subject as this snapshot sees it (a merge may have happened since the look above).
            let ids = try await Self.reach(subject, on: connection, logger: logger).profiles
            let now = ISO8601DateFormatter().string(from: Date())
            try await sink.write("""
                {"format":\(jsonString(Self.exportFormat)),"generated_at":\(jsonString(now)),\
                "request":{"id":\(jsonString(request.id)),"received_at":\(jsonString(ISO8601DateFormatter().string(from: request.receivedAt))),\
                "subject":{"kind":\(jsonString(subject.kind)),"value":\(jsonString(subject.value))}},\
                "controller":{"tenant":\(jsonString(tenant.slug)),"name":\(jsonString(tenant.name))},\
                "information":\(information.jsonText)
                """)
            let ts = "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'"
            let sections: [(String, PostgresQuery)] = [
                ("sources_observed", """
                    SELECT to_json(s)::text FROM (
                        SELECT source FROM events WHERE profile_id = ANY(\(ids)) AND source IS NOT NULL
                        UNION SELECT source FROM identities WHERE profile_id = ANY(\(ids)) AND source IS NOT NULL
                        UNION SELECT e.value ->> 'source' FROM profiles p, jsonb_each(p.trait_sources) e
                              WHERE p.id = ANY(\(ids)) AND e.value ->> 'source' IS NOT NULL) x (s) ORDER BY s
                    """),
                ("profiles", """
                    SELECT json_build_object('id', id, 'merged_into', merged_into,
                        'created_at', to_char(created_at, \(unescaped: ts)), 'updated_at', to_char(updated_at, \(unescaped: ts)),
                        'traits', traits)::text
                    FROM profiles WHERE id = ANY(\(ids)) ORDER BY id
                    """),
                ("identities", """
                    SELECT json_build_object('kind', kind, 'value', value, 'profile_id', profile_id, 'source', source,
                        'first_seen', to_char(first_seen, \(unescaped: ts)), 'last_seen', to_char(last_seen, \(unescaped: ts)))::text
                    FROM identities WHERE profile_id = ANY(\(ids)) ORDER BY kind, value
                    """),
                ("traits", """
                    SELECT json_build_object('profile_id', p.id, 'name', t.key, 'value', t.value,
                        'source', p.trait_sources -> t.key ->> 'source',
                        'set_at', to_char((p.trait_sources -> t.key ->> 'at')::timestamptz, \(unescaped: ts)))::text
                    FROM profiles p, jsonb_each(p.traits) t WHERE p.id = ANY(\(ids)) ORDER BY p.id, t.key
                    """),
                ("merges", """
                    SELECT json_build_object('survivor_id', survivor_id, 'merged_id', merged_id, 'reason', reason,
                        'message_id', message_id, 'kind', kind, 'value', value, 'at', to_char(at, \(unescaped: ts)),
                        'undone_at', to_char(undone_at, \(unescaped: ts)))::text
                    FROM merges WHERE survivor_id = ANY(\(ids)) OR merged_id = ANY(\(ids)) ORDER BY at, id
                    """),
                ("groups", """
                    SELECT json_build_object('group_id', g.group_id, 'profile_id', m.profile_id, 'traits', g.traits,
                        'first_seen', to_char(m.first_seen, \(unescaped: ts)), 'last_seen', to_char(m.last_seen, \(unescaped: ts)))::text
                    FROM group_members m JOIN groups g USING (group_id) WHERE m.profile_id = ANY(\(ids)) ORDER BY g.group_id
                    """),
            ]
            for (name, query) in sections {
                var n: Int64 = 0
                try await sink.write(",\(jsonString(name)):[")
                for try await item in try await connection.query(query, logger: logger).decode(String.self) {
                    try await sink.write((n == 0 ? "" : ",") + item)
                    n += 1
                }
                try await sink.write("]")
                counts[name] = n
            }
            try await sink.write(#","segments":[\#(segments.joined(separator: ","))],"privacy_requests":[\#(requestItems.joined(separator: ","))]"#)
            counts["segments"] = Int64(segments.count)
            counts["privacy_requests"] = Int64(requestItems.count)

            // Events last, row by row: a long history streams through.
            var n: Int64 = 0
            try await sink.write(#","events":["#)
            let events = try await connection.query("""
                SELECT json_build_object('message_id', message_id, 'type', type, 'name', name, 'profile_id', profile_id,
                    'timestamp', to_char(ts, \(unescaped: ts)), 'received_at', to_char(received_at, \(unescaped: ts)),
                    'source', source, 'properties', props, 'context', context)::text
                FROM events WHERE profile_id = ANY(\(ids)) OR origin_profile_id = ANY(\(ids)) ORDER BY ts, message_id
                """, logger: logger)
            for try await item in events.decode(String.self) {
                try await sink.write((n == 0 ? "" : ",") + item)
                n += 1
            }
            counts["events"] = n
            let summary = counts.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)):\($0.value)" }.joined(separator: ",")
            try await sink.write("],\"counts\":{\(summary)}}\n")
            try await sink.flush()
            return counts
        }
        // An erasure of the subject that started while this export ran wins: it may have
        // deleted the chunks written before its commit, and these after it must go too.
        let erased = try await connection.query("""
            SELECT count(*) FROM rapport.privacy_requests
            WHERE tenant_id = \(tenant.id) AND type = 'erasure' AND status IN ('running', 'completed')
              AND started_at >= \(request.startedAt ?? request.receivedAt)
              AND (encode(subject_hash, 'hex') = ANY(\(hashes))
                   OR EXISTS (SELECT 1 FROM unnest(reached_hashes) r WHERE encode(r, 'hex') = ANY(\(hashes))))
            """, logger: logger)
        for try await n in erased.decode(Int64.self) where n > 0 {
            throw PrivacyRunFailure(description: "The subject was erased while the export ran; there is nothing left to export.")
        }
        var all = counts
        all["bytes"] = sink.bytes
        return (all, hashes)
    }

    /// Checks that the export of request `id` can be downloaded; returns the request and its
    /// number of chunks.
    /// - Throws: ``PrivacyError`` when it is not an export, not completed, expired, or erased since.
    public func exportChunks(_ id: String, tenant: Tenant) async throws -> (PrivacyRequest, Int) {
        let request = try await privacyRequest(id, tenant: tenant)
        guard request.type == .export else { throw PrivacyError.exportUnavailable(id: id, reason: "it is a \(request.type.rawValue) request") }
        guard request.status == .completed else {
            throw PrivacyError.exportUnavailable(id: id, reason: "the request is \(request.status.rawValue)")
        }
        let chunks = try await client.query("SELECT count(*) FROM rapport.privacy_exports WHERE request_id = \(id)", logger: logger)
        var total = 0
        for try await n in chunks.decode(Int.self) { total = n }
        guard total > 0 else {
            let retention = Double(Self.exportRetentionDays) * 86_400
            let expired = request.completedAt.map { Date().timeIntervalSince($0) >= retention } ?? false
            throw PrivacyError.exportUnavailable(id: id, reason: expired
                ? "it expired \(Self.exportRetentionDays) days after it was made; file a new export"
                : "it was deleted when the subject was erased")
        }
        return (request, total)
    }

    /// Streams a completed export's document, chunk by chunk, to `write`. Recorded in the audit log.
    public func downloadExport(_ id: String, tenant: Tenant, actor: String,
                               _ write: (ByteBuffer) async throws -> Void) async throws {
        let (request, total) = try await exportChunks(id, tenant: tenant)
        // One query, so one snapshot: an erasure that commits meanwhile cannot cut the document short.
        var written = 0
        let rows = try await client.query(
            "SELECT data FROM rapport.privacy_exports WHERE request_id = \(id) ORDER BY seq", logger: logger)
        for try await chunk in rows.decode(ByteBuffer.self) {
            try await write(chunk)
            written += 1
        }
        guard written == total else { throw PrivacyError.exportUnavailable(id: id, reason: "it was deleted when the subject was erased") }
        try await withTransaction { connection in
            try await auditPrivacy(request, action: "downloaded", actor: actor, tenant: tenant, on: connection)
        }
    }
}

/// `text` as a JSON string literal.
func jsonString(_ text: String) -> String { JSONValue.string(text).jsonText }
