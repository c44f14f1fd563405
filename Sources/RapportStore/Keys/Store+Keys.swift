import Foundation
import PostgresNIO

extension Store {
    /// Creates a key for `tenant`. The returned secret is shown once; only its hash is stored.
    /// - Parameters:
    ///   - source: the source name attached to events sent with the key (ingest keys).
    ///   - name: a label for people, such as "web site".
    public func createKey(tenant slug: String, scopes: [Scope], source: String?, name: String?, actor: String) async throws -> CreatedKey {
        guard !scopes.isEmpty else { throw StoreError.invalidInput("A key needs at least one scope.") }
        if source?.isEmpty == true { throw StoreError.invalidInput("A source name has 1 to 100 characters.") }
        try StoreError.checkText(source, "A source name", maxCharacters: 100)
        try StoreError.checkText(name, "A key name", maxCharacters: 200)
        let (key, id) = APIKeyFormat.generate()
        let hash = APIKeyFormat.hash(key)
        let scopeNames = scopes.map(\.rawValue)
        do {
            return try await withTransaction { connection in
                guard let tenant = try await tenant(slug: slug, on: connection) else { throw StoreError.tenantNotFound(slug) }
                let rows = try await connection.query("""
                    INSERT INTO rapport.api_keys (id, tenant_id, hash, scopes, source, name)
                    VALUES (\(id), \(tenant.id), \(hash), \(scopeNames), \(source), \(name))
                    RETURNING created_at
                    """, logger: logger)
                var createdAt = Date()
                for try await date in rows.decode(Date.self) { createdAt = date }
                try await audit(tenant: tenant, actor: actor, action: "key.create",
                                details: ["key_id": id, "scopes": scopeNames.joined(separator: ",")], on: connection)
                let info = APIKeyInfo(id: id, tenant: slug, scopes: scopes, source: source, name: name, createdAt: createdAt, revokedAt: nil)
                return CreatedKey(key: key, info: info)
            }
        } catch {
            throw StoreError.wrap(error, "The key could not be created.", input: true)
        }
    }

    /// The tenant's keys, newest first, revoked ones included.
    public func listKeys(tenant slug: String) async throws -> [APIKeyInfo] {
        guard try await tenant(slug: slug) != nil else { throw StoreError.tenantNotFound(slug) }
        let rows = try await client.query("""
            SELECT k.id, k.scopes, k.source, k.name, k.created_at, k.revoked_at
            FROM rapport.api_keys k JOIN rapport.tenants t ON t.id = k.tenant_id
            WHERE t.slug = \(slug) ORDER BY k.created_at DESC, k.id
            """, logger: logger)
        var keys: [APIKeyInfo] = []
        for try await (id, scopes, source, name, createdAt, revokedAt) in rows.decode((String, [String], String?, String?, Date, Date?).self) {
            keys.append(APIKeyInfo(id: id, tenant: slug, scopes: scopes.compactMap(Scope.init), source: source,
                                   name: name, createdAt: createdAt, revokedAt: revokedAt))
        }
        return keys
    }

    /// Revokes a key; requests with it are refused from then on.
    public func revokeKey(tenant slug: String, id: String, actor: String) async throws {
        do {
            try await withTransaction { connection in
                guard let tenant = try await tenant(slug: slug, on: connection) else { throw StoreError.keyNotFound(id) }
                let rows = try await connection.query("""
                    UPDATE rapport.api_keys SET revoked_at = coalesce(revoked_at, now())
                    WHERE tenant_id = \(tenant.id) AND id = \(id)
                    RETURNING id
                    """, logger: logger)
                var found = false
                for try await _ in rows.decode(String.self) { found = true }
                guard found else { throw StoreError.keyNotFound(id) }
                try await audit(tenant: tenant, actor: actor, action: "key.revoke", details: ["key_id": id], on: connection)
            }
        } catch {
            throw StoreError.wrap(error, "The key could not be revoked.")
        }
    }

    /// The live key matching `key`, or nil for an unknown or revoked key.
    public func authenticate(key: String) async throws -> AuthenticatedKey? {
        guard APIKeyFormat.looksLikeKey(key) else { return nil }
        let rows = try await client.query("""
            SELECT k.id, k.scopes, k.source, t.id, t.slug, t.name, t.created_at
            FROM rapport.api_keys k JOIN rapport.tenants t ON t.id = k.tenant_id
            WHERE k.hash = \(APIKeyFormat.hash(key)) AND k.revoked_at IS NULL AND t.state = 'ready'
            """, logger: logger)
        for try await (id, scopes, source, tenantID, slug, name, createdAt) in rows.decode((String, [String], String?, Int64, String, String, Date).self) {
            return AuthenticatedKey(id: id, tenant: Tenant(id: tenantID, slug: slug, name: name, createdAt: createdAt),
                                    scopes: Set(scopes.compactMap(Scope.init)), source: source)
        }
        return nil
    }
}
