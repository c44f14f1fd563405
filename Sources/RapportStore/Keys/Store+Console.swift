import Crypto
import Foundation
import PostgresNIO

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
        let token = Self.randomToken(), csrf = Self.randomToken()
        let expires = now.addingTimeInterval(Self.consoleSessionLifetime)
        try await client.query("DELETE FROM rapport.console_sessions WHERE expires_at < \(now)", logger: logger)
        try await client.query("""
            INSERT INTO rapport.console_sessions (hash, key_id, csrf, expires_at)
            VALUES (\(Self.sessionHash(token)), \(authenticated.id), \(csrf), \(expires))
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
