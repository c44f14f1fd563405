import Crypto
import Foundation
import PostgresNIO

/// Why a valid key may not sign in to the console.
public enum ConsoleSignInError: Error, Sendable {
    /// Only the `query` and `privacy` scopes open pages.
    case noConsoleScope
}

/// A web console session: the browser keeps `token` in a cookie, the pages put `csrf` in
/// every form and every request that changes something.
public struct ConsoleSession: Sendable, Equatable {
    public var token: String
    public var csrf: String
    public var key: AuthenticatedKey
    public var expiresAt: Date
}

extension Store {
    /// How long a console session lasts from sign-in.
    public static let consoleSessionLifetime: TimeInterval = 8 * 3600
    /// Sessions one key may hold at once; signing in again ends the oldest beyond it.
    public static let consoleSessionsPerKey = 20

    /// A random token of 256 bits, URL- and cookie-safe.
    public static func randomToken() -> String {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func sessionHash(_ token: String) -> Data { Data(SHA256.hash(data: Data(("console:" + token).utf8))) }

    /// Signs `key` in: a new session, or nil when the key is unknown, revoked or of a tenant
    /// that is not ready. Expired sessions of every key are removed on the way.
    public func startConsoleSession(key: String, now: Date = Date()) async throws -> ConsoleSession? {
        guard let authenticated = try await authenticate(key: key) else { return nil }
        // An ingest key is public by design (a browser's Segment library holds it): it opens no page.
        guard !authenticated.scopes.isDisjoint(with: [.query, .privacy]) else { throw ConsoleSignInError.noConsoleScope }
        let token = Self.randomToken(), csrf = Self.randomToken()
        let expires = now.addingTimeInterval(Self.consoleSessionLifetime)
        try await client.query("DELETE FROM rapport.console_sessions WHERE expires_at < \(now)", logger: logger)
        try await client.query("""
            INSERT INTO rapport.console_sessions (hash, key_id, csrf, expires_at)
            VALUES (\(Self.sessionHash(token)), \(authenticated.id), \(csrf), \(expires))
            """, logger: logger)
        // At most 20 sessions a key: the oldest go.
        try await client.query("""
            DELETE FROM rapport.console_sessions WHERE key_id = \(authenticated.id) AND hash NOT IN (
                SELECT hash FROM rapport.console_sessions WHERE key_id = \(authenticated.id) ORDER BY created_at DESC, hash LIMIT \(Self.consoleSessionsPerKey))
            """, logger: logger)
        return ConsoleSession(token: token, csrf: csrf, key: authenticated, expiresAt: expires)
    }

    /// The session a cookie's token stands for, if it has not expired and its key still
    /// holds (not revoked, its tenant ready).
    public func consoleSession(token: String, now: Date = Date()) async throws -> ConsoleSession? {
        guard token.utf8.count == 43 else { return nil }
        let rows = try await client.query("""
            SELECT s.csrf, s.expires_at, k.id, k.scopes, k.source, t.id, t.slug, t.name, t.created_at
            FROM rapport.console_sessions s JOIN rapport.api_keys k ON k.id = s.key_id JOIN rapport.tenants t ON t.id = k.tenant_id
            WHERE s.hash = \(Self.sessionHash(token)) AND s.expires_at > \(now) AND k.revoked_at IS NULL AND t.state = 'ready'
            """, logger: logger)
        for try await (csrf, expires, id, scopes, source, tenantID, slug, name, createdAt)
            in rows.decode((String, Date, String, [String], String?, Int64, String, String, Date).self) {
            let key = AuthenticatedKey(id: id, tenant: Tenant(id: tenantID, slug: slug, name: name, createdAt: createdAt),
                                       scopes: Set(scopes.compactMap(Scope.init)), source: source)
            return ConsoleSession(token: token, csrf: csrf, key: key, expiresAt: expires)
        }
        return nil
    }

    /// Signs out: the token no longer opens anything.
    public func endConsoleSession(token: String) async throws {
        try await client.query("DELETE FROM rapport.console_sessions WHERE hash = \(Self.sessionHash(token))", logger: logger)
    }
}

/// A name the tenant's data has used, with its type and when it was first and last seen.
public struct CatalogueName: Sendable, Equatable {
    public var kind: String
    public var name: String
    public var type: String
    public var firstSeen: Date
    public var lastSeen: Date
}

/// How much a tenant holds: counted exactly up to ``exactUpTo``, beyond which the planner's
/// estimate is given (a count of ten million events would cost seconds).
public struct TenantVolume: Sendable, Equatable {
    public static let exactUpTo: Int64 = 100_000
    public struct Count: Sendable, Equatable {
        public var value: Int64
        public var exact: Bool
    }
    public var profiles: Count
    public var events: Count
    public var identities: Count
    public var suppressedIdentifiers: Int64
    /// Messages dropped because they carried a suppressed identifier.
    public var droppedMessages: Int64
}

/// An event as it arrived, for the console's live view.
public struct ArrivedEvent: Sendable, Encodable, Equatable {
    public var messageID: String
    public var profileID: Int64
    public var type: String
    public var name: String?
    public var ts: Date
    public var receivedAt: Date
    public var source: String?
    /// The properties as JSON text, cut at 300 characters.
    public var properties: String

    enum CodingKeys: String, CodingKey {
        case type, name, ts, source, properties
        case messageID = "message_id"
        case profileID = "profile_id"
        case receivedAt = "received_at"
    }
}

extension Store {
    /// The tenant's catalogue: every trait, event and property name with its types.
    public func catalogueNames(tenant: Tenant) async throws -> [CatalogueName] {
        try await withTenant(tenant, readOnly: true) { connection in
            var names: [CatalogueName] = []
            for try await (kind, name, type, first, last) in try await connection.query(
                "SELECT kind, name, type, first_seen, last_seen FROM catalogue ORDER BY kind DESC, name, type LIMIT 5000", logger: logger)
                .decode((String, String, String, Date, Date).self) {
                names.append(CatalogueName(kind: kind, name: name, type: type, firstSeen: first, lastSeen: last))
            }
            return names
        }
    }

    public func volume(tenant: Tenant) async throws -> TenantVolume {
        try await withTenant(tenant, readOnly: true) { connection in
            func count(_ table: String, where condition: String = "true") async throws -> TenantVolume.Count {
                let cap = TenantVolume.exactUpTo
                var exact: Int64 = 0
                for try await n in try await connection.query(PostgresQuery(unsafeSQL:
                    "SELECT count(*) FROM (SELECT 1 FROM \(table) WHERE \(condition) LIMIT \(cap + 1)) x"), logger: logger).decode(Int64.self) { exact = n }
                if exact <= cap { return .init(value: exact, exact: true) }
                var estimate: Int64 = 0
                for try await n in try await connection.query(PostgresQuery(unsafeSQL:
                    "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = '\(table)'::regclass"), logger: logger).decode(Int64.self) { estimate = n }
                return .init(value: max(estimate, cap + 1), exact: false)
            }
            let profiles = try await count("profiles", where: "merged_into IS NULL")
            let events = try await count("events")
            let identities = try await count("identities")
            var suppressed: Int64 = 0, dropped: Int64 = 0
            for try await (n, d) in try await connection.query(
                "SELECT count(*), coalesce(sum(dropped), 0)::bigint FROM suppressions", logger: logger).decode((Int64, Int64).self) {
                (suppressed, dropped) = (n, d)
            }
            return TenantVolume(profiles: profiles, events: events, identities: identities, suppressedIdentifiers: suppressed, droppedMessages: dropped)
        }
    }

    /// How far back the live view looks: reading the newest events sorts what arrived in the
    /// window (the BRIN index on received_at finds it, but cannot give it in order).
    public static let arrivalHorizon: TimeInterval = 3600

    /// The newest events to arrive, newest first, at most `limit` (up to 100): those received
    /// since `since` (no earlier than an hour ago) when given, else those of the last 10
    /// seconds, minute, 10 minutes or hour, the first of these that has any, so that what is
    /// sorted stays small where events arrive steadily. A read over 3 seconds (a burst of
    /// millions in the window, as after an import) is cancelled: the answer is then empty and
    /// `busy`, and the next window (a poller's last seconds) is read as usual.
    public func arrivedEvents(tenant: Tenant, since: Date? = nil, limit: Int = 50, now: Date = Date()) async throws -> (events: [ArrivedEvent], busy: Bool) {
        do {
            return (try await arrivals(tenant: tenant, since: since, limit: limit, now: now), false)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "57014" {
            return ([], true)
        }
    }

    func arrivals(tenant: Tenant, since: Date?, limit: Int, now: Date) async throws -> [ArrivedEvent] {
        let limit = min(max(limit, 1), 100)
        let horizon = now.addingTimeInterval(-Self.arrivalHorizon)
        let windows: [Date] = since.map { [max($0, horizon)] } ?? [10, 60, 600, Self.arrivalHorizon].map { now.addingTimeInterval(-$0) }
        return try await withTenant(tenant, readOnly: true) { connection in
            try await connection.query("SET LOCAL statement_timeout = '3s'", logger: logger)
            for start in windows {
                var events: [ArrivedEvent] = []
                for try await (message, profile, type, name, ts, received, source, props) in try await connection.query("""
                    SELECT message_id, profile_id, type, name, ts, received_at, source, left(props::text, 300) FROM events
                    WHERE received_at >= \(start) ORDER BY received_at DESC, message_id DESC LIMIT \(limit)
                    """, logger: logger).decode((String, Int64, String, String?, Date, Date, String?, String).self) {
                    events.append(ArrivedEvent(messageID: message, profileID: profile, type: type, name: name, ts: ts, receivedAt: received,
                                               source: source, properties: props))
                }
                if !events.isEmpty || since != nil { return events }
            }
            return []
        }
    }
}

/// A saved definition as the console lists it.
public struct DefinitionInfo: Sendable, Equatable {
    public var kind: String
    public var name: String
    public var source: String
    public var updatedAt: Date
}

extension Store {
    /// Every saved definition (segments, metrics, funnels, stage rules, value settings, …), by kind and name.
    public func definitionList(tenant: Tenant) async throws -> [DefinitionInfo] {
        try await withTenant(tenant, readOnly: true) { connection in
            var list: [DefinitionInfo] = []
            for try await (kind, name, source, updated) in try await connection.query(
                "SELECT kind, name, source, updated_at FROM definitions ORDER BY kind, name LIMIT 2000", logger: logger)
                .decode((String, String, String, Date).self) {
                list.append(DefinitionInfo(kind: kind, name: name, source: source, updatedAt: updated))
            }
            return list
        }
    }
}

extension Store {
    /// The saved segments profile `id` is in now (of the first 100 by name), and the syncs
    /// that delivered it and have not sent its exit: the console's profile page asks for these
    /// after it has shown the rest. One RQL statement answers the segments (`in NAME` of each);
    /// it has `timeout` to do so.
    public func membership(of id: Int64, tenant: Tenant, timeout: Duration = .seconds(10)) async throws -> (segments: [String], syncs: [String], asked: Int, saved: Int) {
        let all = try await segments(tenant: tenant)
        let names = all.prefix(100).map(\.name)
        var inSegments: [String] = []
        if !names.isEmpty {
            // Definition names are letters, digits and `_`; the backticks keep a keyword a name.
            let columns = names.enumerated().map { index, name in "s\(index) = in `\(name)`" }.joined(separator: ", ")
            let results = try await query("profiles | where id = \(id) | select \(columns)", tenant: tenant,
                                          options: QueryOptions(timeout: timeout, rowCap: 1))
            if let row = results.last?.rows.first {
                for (index, value) in row.enumerated() where index < names.count {
                    if case .boolean(true) = value { inSegments.append(names[index]) }
                }
            }
        }
        let syncs = try await withTenant(tenant, readOnly: true) { connection in
            var list: [String] = []
            for try await name in try await connection.query("""
                SELECT s.name FROM syncs s WHERE EXISTS (SELECT 1 FROM sync_state t WHERE t.sync_id = s.id AND t.profile_id = \(id))
                ORDER BY s.name
                """, logger: logger).decode(String.self) { list.append(name) }
            return list
        }
        return (inSegments, syncs, names.count, all.count)
    }
}
