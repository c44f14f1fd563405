import Crypto
import Foundation
import PostgresNIO

/// Why a privacy request could not be filed or changed.
public enum PrivacyError: Error, CustomStringConvertible, Equatable {
    case requestNotFound(String)
    /// Only a pending request can be cancelled.
    case notCancellable(id: String, status: PrivacyRequest.Status)
    /// The export is not (or no longer) there to download.
    case exportUnavailable(id: String, reason: String)
    /// The tenant has as many open requests as one tenant may have (``Store/maxOpenPrivacyRequests``).
    case tooManyOpen(Int)

    public var description: String {
        switch self {
        case .requestNotFound(let id): "There is no privacy request `\(id)` for this tenant."
        case .notCancellable(let id, let status): "The privacy request `\(id)` is \(status.rawValue); only a pending request can be cancelled."
        case .exportUnavailable(let id, let reason): "The export of request `\(id)` cannot be downloaded: \(reason)."
        case .tooManyOpen(let limit): "This tenant has \(limit) privacy requests pending or running, as many as one tenant may have; file more when some have finished."
        }
    }
}

extension Store {
    /// The most privacy requests one tenant may have pending or running at once.
    public static let maxOpenPrivacyRequests = 100
    /// The advisory lock class (with the tenant's id) under which a request is filed.
    static let privacyFilingLock: Int32 = 0x7072_6976

    static let requestColumns = """
        id, type, status, subject_kind, subject_value, encode(subject_hash, 'hex'), actor, received_at, due_at,
        started_at, completed_at, counts::text, error
        """

    /// Checks `subject` against the tenant's identity kinds and normalises its value, as
    /// ingestion would, so that the request reaches the identifier ingestion stored.
    public func normalizedSubject(_ subject: PrivacySubject, tenant: Tenant) async throws -> PrivacySubject {
        let rules = try await ingestSettings(tenant: tenant).rules
        guard rules.kind(subject.kind) != nil else {
            let kinds = rules.kinds.map { "`\($0.name)`" }.joined(separator: ", ")
            throw StoreError.invalidInput("`\(subject.kind)` is not an identity kind of this tenant; name the subject by one of \(kinds).")
        }
        guard let value = rules.normalize(subject.value, kind: subject.kind) else {
            throw StoreError.invalidInput("The subject's `\(subject.kind)` is empty or a blocked placeholder value, which names nobody.")
        }
        return PrivacySubject(kind: subject.kind, value: value)
    }

    /// Whether the tenant holds the identifier now, or suppressed it before: an erasure of one it
    /// never saw is most likely a typo, which would otherwise be suppressed for good.
    public func knowsSubject(_ subject: PrivacySubject, tenant: Tenant) async throws -> Bool {
        let subject = try await normalizedSubject(subject, tenant: tenant)
        let hash = try await identifierHasher(tenant).hash(kind: subject.kind, value: subject.value)
        let logger = self.logger
        return try await withTenant(tenant, readOnly: true) { connection in
            let rows = try await connection.query("""
                SELECT EXISTS (SELECT 1 FROM identities WHERE kind = \(subject.kind) AND value = \(subject.value))
                    OR EXISTS (SELECT 1 FROM suppressions WHERE hash = decode(\(hash), 'hex'))
                """, logger: logger)
            var known = false
            for try await value in rows.decode(Bool.self) { known = value }
            return known
        }
    }

    /// Files a request; it is pending until a runner (the server's worker, or the command line)
    /// carries it out. Recorded in the audit log.
    public func fileRequest(_ type: PrivacyRequest.Kind, subject: PrivacySubject, tenant: Tenant, actor: String) async throws -> PrivacyRequest {
        let subject = try await normalizedSubject(subject, tenant: tenant)
        let hash = try await identifierHasher(tenant).hash(kind: subject.kind, value: subject.value)
        let id = "pr_" + (0..<20).map { _ in String("abcdefghijkmnpqrstuvwxyz23456789".randomElement()!) }.joined()
        let logger = self.logger
        return try await withTransaction { connection in
            // One tenant's flood of requests must not hold up every other tenant's (the worker
            // also takes tenants in turn): a bound on what is open at once, counted under a lock.
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.privacyFilingLock), \(Int32(truncatingIfNeeded: tenant.id)))", logger: logger)
            let open = try await connection.query("""
                SELECT count(*) FROM rapport.privacy_requests WHERE tenant_id = \(tenant.id) AND status IN ('pending', 'running')
                """, logger: logger)
            for try await count in open.decode(Int.self) where count >= Self.maxOpenPrivacyRequests {
                throw PrivacyError.tooManyOpen(Self.maxOpenPrivacyRequests)
            }
            let rows = try await connection.query("""
                INSERT INTO rapport.privacy_requests (id, tenant_id, type, status, subject_kind, subject_value, subject_hash, actor, due_at)
                VALUES (\(id), \(tenant.id), \(type.rawValue), 'pending', \(subject.kind), \(subject.value), decode(\(hash), 'hex'),
                        \(actor), now() + interval '1 month')
                RETURNING \(unescaped: Self.requestColumns)
                """, logger: logger)
            guard let request = try await Self.decodeRequests(rows).first else { throw StoreError.invalidInput("The request was not recorded.") }
            try await auditPrivacy(request, action: "requested", actor: actor, tenant: tenant, on: connection)
            return request
        }
    }

    /// One request, with the messages its suppressions have dropped so far.
    public func privacyRequest(_ id: String, tenant: Tenant) async throws -> PrivacyRequest {
        let rows = try await client.query("""
            SELECT \(unescaped: Self.requestColumns) FROM rapport.privacy_requests WHERE id = \(id) AND tenant_id = \(tenant.id)
            """, logger: logger)
        guard var request = try await Self.decodeRequests(rows).first else { throw PrivacyError.requestNotFound(id) }
        if request.type == .erasure || request.type == .suppress {
            let dropped = try await droppedSince([request.id], tenant: tenant)
            request.counts["messages_dropped"] = dropped[request.id] ?? 0
        }
        return request
    }

    /// The tenant's requests, newest first, optionally of one status.
    public func privacyRequests(tenant: Tenant, status: PrivacyRequest.Status? = nil, limit: Int = 100) async throws -> [PrivacyRequest] {
        let rows = try await client.query("""
            SELECT \(unescaped: Self.requestColumns) FROM rapport.privacy_requests
            WHERE tenant_id = \(tenant.id) AND (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))
            ORDER BY received_at DESC, id DESC LIMIT \(min(max(limit, 1), 1000))
            """, logger: logger)
        var requests = try await Self.decodeRequests(rows)
        let dropped = try await droppedSince(requests.filter { $0.type == .erasure || $0.type == .suppress }.map(\.id), tenant: tenant)
        for i in requests.indices where requests[i].type == .erasure || requests[i].type == .suppress {
            requests[i].counts["messages_dropped"] = dropped[requests[i].id] ?? 0
        }
        return requests
    }

    /// Cancels a pending request (a running or ended one cannot be).
    public func cancelRequest(_ id: String, tenant: Tenant, actor: String) async throws -> PrivacyRequest {
        let logger = self.logger
        return try await withTransaction { connection in
            let rows = try await connection.query("""
                UPDATE rapport.privacy_requests SET status = 'cancelled', subject_value = NULL, completed_at = now()
                WHERE id = \(id) AND tenant_id = \(tenant.id) AND status = 'pending'
                RETURNING \(unescaped: Self.requestColumns)
                """, logger: logger)
            if let request = try await Self.decodeRequests(rows).first {
                try await auditPrivacy(request, action: "cancelled", actor: actor, tenant: tenant, on: connection)
                return request
            }
            let current = try await connection.query(
                "SELECT status FROM rapport.privacy_requests WHERE id = \(id) AND tenant_id = \(tenant.id)", logger: logger)
            for try await status in current.decode(String.self) {
                throw PrivacyError.notCancellable(id: id, status: PrivacyRequest.Status(rawValue: status) ?? .completed)
            }
            throw PrivacyError.requestNotFound(id)
        }
    }

    /// The tenant's privacy audit log, oldest first, after entry `after`; or, with `newestFirst`,
    /// the newest `limit` entries, newest first (the console's view).
    public func privacyAudit(tenant: Tenant, after: Int64 = 0, limit: Int = 1000, newestFirst: Bool = false) async throws -> [AuditEntry] {
        let rows = try await client.query("""
            SELECT id, at, actor, action, details::text FROM rapport.audit_log
            WHERE tenant_id = \(tenant.id) AND action LIKE 'privacy.%' AND id > \(after)
            ORDER BY id \(unescaped: newestFirst ? "DESC" : "ASC") LIMIT \(min(max(limit, 1), 10_000))
            """, logger: logger)
        var entries: [AuditEntry] = []
        for try await (id, at, actor, action, details) in rows.decode((Int64, Date, String, String, String).self) {
            let parsed = try? JSONDecoder().decode(AuditDetails.self, from: Data(details.utf8))
            let entry = AuditEntry(id: id, at: at, actor: actor, action: action, request: parsed?.request,
                                   subjectKind: parsed?.subject_kind, subjectHash: parsed?.subject_hash,
                                   counts: parsed?.counts, error: parsed?.error)
            entries.append(entry)
        }
        return entries
    }

    /// What the audit log keeps of a privacy action.
    struct AuditDetails: Codable {
        var request: String?
        var subject_kind: String?
        var subject_hash: String?
        var counts: [String: Int64]?
        var error: String?
    }

    func auditPrivacy(_ request: PrivacyRequest, action: String, actor: String, tenant: Tenant,
                      counts: [String: Int64]? = nil, on connection: PostgresConnection) async throws {
        let details = AuditDetails(request: request.id, subject_kind: request.subjectKind, subject_hash: request.subjectHash,
                                   counts: counts, error: request.error)
        let json = String(decoding: try JSONEncoder().encode(details), as: UTF8.self)
        try await connection.query("""
            INSERT INTO rapport.audit_log (tenant, tenant_id, actor, action, details)
            VALUES (\(tenant.slug), \(tenant.id), \(actor), \("privacy.\(request.type.rawValue).\(action)"), \(json)::jsonb)
            """, logger: logger)
    }

    /// Messages dropped since, per suppressing request.
    func droppedSince(_ requests: [String], tenant: Tenant) async throws -> [String: Int64] {
        guard !requests.isEmpty else { return [:] }
        return try await withTenant(tenant, readOnly: true) { connection in
            var dropped: [String: Int64] = [:]
            let rows = try await connection.query("""
                SELECT request_id, sum(dropped)::bigint FROM suppressions WHERE request_id = ANY(\(requests)) GROUP BY request_id
                """, logger: logger)
            for try await (id, n) in rows.decode((String, Int64).self) { dropped[id] = n }
            return dropped
        }
    }

    static func decodeRequests(_ rows: PostgresRowSequence) async throws -> [PrivacyRequest] {
        var requests: [PrivacyRequest] = []
        typealias Row = (String, String, String, String, String?, String, String, Date, Date, Date?, Date?, String, String?)
        for try await row in rows.decode(Row.self) {
            let counts = (try? JSONDecoder().decode([String: Int64].self, from: Data(row.11.utf8))) ?? [:]
            requests.append(PrivacyRequest(
                id: row.0, type: PrivacyRequest.Kind(rawValue: row.1) ?? .export, status: PrivacyRequest.Status(rawValue: row.2) ?? .failed,
                subjectKind: row.3, subjectValue: row.4, subjectHash: row.5, actor: row.6, receivedAt: row.7, dueAt: row.8,
                startedAt: row.9, completedAt: row.10, counts: counts, error: row.12))
        }
        return requests
    }

    /// The tenant's Art. 15 information (purposes, categories, recipients, retention, sources),
    /// as its staff stated it; `{}` until they do.
    public func privacySettings(tenant: Tenant) async throws -> JSONValue {
        try await withTenant(tenant, readOnly: true) { connection in
            let rows = try await connection.query("SELECT value::text FROM settings WHERE key = 'privacy'", logger: logger)
            for try await text in rows.decode(String.self) { return try JSONParser.parse(Array(text.utf8)) }
            return .object([:])
        }
    }

    /// Replaces the tenant's Art. 15 information. Each of `controller`, `purposes`,
    /// `categories`, `recipients`, `sources`, `retention`, `rights` is optional.
    public func setPrivacySettings(_ settings: JSONValue, tenant: Tenant, actor: String) async throws {
        guard case .object(let object) = settings else { throw StoreError.invalidInput("The privacy settings must be a JSON object.") }
        let known: Set = ["controller", "purposes", "categories", "recipients", "sources", "retention", "rights", "transfers"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw StoreError.invalidInput("`\(unknown)` is not a privacy setting; the settings are \(known.sorted().joined(separator: ", ")).")
        }
        for list in ["purposes", "categories", "recipients", "sources"] {
            if let value = object[list], case .array(let items) = value, items.allSatisfy({ $0.stringValue != nil }) { continue }
            if object[list] != nil { throw StoreError.invalidInput("`\(list)` must be a list of texts.") }
        }
        for text in ["controller", "retention", "rights", "transfers"] where object[text] != nil && object[text]?.stringValue == nil {
            throw StoreError.invalidInput("`\(text)` must be a text.")
        }
        let json = settings.jsonText
        try await withTenant(tenant) { connection in
            try await connection.query("""
                INSERT INTO settings (key, value) VALUES ('privacy', \(json)::jsonb)
                ON CONFLICT (key) DO UPDATE SET value = excluded.value
                """, logger: logger)
        }
        try await withTransaction { connection in
            try await audit(tenant: tenant, actor: actor, action: "privacy.settings", details: [:], on: connection)
        }
    }
}
