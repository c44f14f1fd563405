import Foundation
import PostgresNIO

extension Store {
    /// Creates a tenant: its row, its role (granted to the application's login role, which
    /// does not inherit its rights), its schema owned by that role, and the tenant migrations,
    /// all in one transaction.
    /// - Throws: ``StoreError/invalidTenantSlug(_:)``, ``StoreError/tenantExists(_:)``, ``StoreError/roleExists(_:)``.
    public func createTenant(slug: String, name: String?, actor: String) async throws -> Tenant {
        guard Tenant.isValidSlug(slug) else { throw StoreError.invalidTenantSlug(slug) }
        let displayName = (name?.isEmpty == false ? name : nil) ?? slug
        try StoreError.checkText(displayName, "A tenant name", maxCharacters: 200)
        let migrations = self.migrations.tenant
        do {
            return try await withTransaction { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: logger)
                if try await tenant(slug: slug, on: connection) != nil { throw StoreError.tenantExists(slug) }
                let roleTaken = try await connection.query("SELECT 1 FROM pg_roles WHERE rolname = \("t_" + slug)", logger: logger)
                for try await _ in roleTaken { throw StoreError.roleExists("t_" + slug) }

                let rows = try await connection.query("""
                    INSERT INTO rapport.tenants (slug, name) VALUES (\(slug), \(displayName))
                    RETURNING id, slug, name, created_at
                    """, logger: logger)
                var created: Tenant?
                for try await (id, slug, name, createdAt) in rows.decode((Int64, String, String, Date).self) {
                    created = Tenant(id: id, slug: slug, name: name, createdAt: createdAt)
                }
                guard let tenant = created else { throw StoreError.invalidInput("The tenant row was not created.") }
                let role = quoteIdentifier(tenant.role)
                try await connection.query("CREATE ROLE \(unescaped: role) NOLOGIN NOINHERIT", logger: logger)
                try await connection.query("GRANT \(unescaped: role) TO CURRENT_USER", logger: logger)
                try await connection.query("CREATE SCHEMA \(unescaped: quoteIdentifier(tenant.schema)) AUTHORIZATION \(unescaped: role)", logger: logger)
                for migration in migrations {
                    _ = try await applyOne(migration, scope: tenant.schema, tenant: tenant, on: connection)
                }
                try await audit(tenant: tenant, actor: actor, action: "tenant.create", details: ["name": displayName], on: connection)
                return tenant
            }
        } catch {
            throw StoreError.wrap(error, "The tenant `\(slug)` could not be created.", input: true)
        }
    }

    /// Every tenant, by slug.
    public func listTenants() async throws -> [Tenant] {
        let rows = try await client.query("SELECT id, slug, name, created_at FROM rapport.tenants ORDER BY slug", logger: logger)
        var tenants: [Tenant] = []
        for try await (id, slug, name, createdAt) in rows.decode((Int64, String, String, Date).self) {
            tenants.append(Tenant(id: id, slug: slug, name: name, createdAt: createdAt))
        }
        return tenants
    }

    /// The tenant with `slug`, or nil.
    public func tenant(slug: String) async throws -> Tenant? {
        guard Tenant.isValidSlug(slug) else { return nil }
        return try await client.withConnection { try await tenant(slug: slug, on: $0) }
    }

    func tenant(slug: String, on connection: PostgresConnection) async throws -> Tenant? {
        try await Self.firstTenant(connection.query(
            "SELECT id, slug, name, created_at FROM rapport.tenants WHERE slug = \(slug)", logger: logger))
    }

    /// The first row of `id, slug, name, created_at` rows as a tenant.
    static func firstTenant(_ rows: PostgresRowSequence) async throws -> Tenant? {
        for try await (id, slug, name, createdAt) in rows.decode((Int64, String, String, Date).self) {
            return Tenant(id: id, slug: slug, name: name, createdAt: createdAt)
        }
        return nil
    }

    /// Deletes a tenant with everything it holds: its schema, its role, its keys, its ledger rows.
    /// The audit log keeps a record of the deletion.
    public func deleteTenant(slug: String, actor: String) async throws {
        do {
            try await withTransaction { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: logger)
                guard let tenant = try await tenant(slug: slug, on: connection) else { throw StoreError.tenantNotFound(slug) }
                let role = quoteIdentifier(tenant.role)
                // The login role inherits no tenant's rights: drop the schema as its owner.
                try await connection.query("SET LOCAL ROLE \(unescaped: role)", logger: logger)
                try await connection.query("DROP OWNED BY \(unescaped: role) CASCADE", logger: logger)
                try await connection.query("RESET ROLE", logger: logger)
                try await connection.query("DROP ROLE \(unescaped: role)", logger: logger)
                try await connection.query("DELETE FROM rapport.migrations WHERE scope = \(tenant.schema)", logger: logger)
                try await connection.query("DELETE FROM rapport.tenants WHERE id = \(tenant.id)", logger: logger)
                try await audit(tenant: tenant, actor: actor, action: "tenant.delete", details: [:], on: connection)
            }
        } catch {
            throw StoreError.wrap(error, "The tenant `\(slug)` could not be deleted.")
        }
    }

    /// Appends to the control audit log. `details` must hold no personal data.
    /// Appends to the control audit log, naming `tenant` by slug (for people) and by id (so a
    /// later tenant with the same slug never reads it). `details` must hold no personal data.
    func audit(tenant: Tenant?, actor: String, action: String, details: [String: String], on connection: PostgresConnection) async throws {
        let json = String(decoding: try JSONEncoder().encode(details), as: UTF8.self)
        try await connection.query("""
            INSERT INTO rapport.audit_log (tenant, tenant_id, actor, action, details)
            VALUES (\(tenant?.slug), \(tenant?.id), \(actor), \(action), \(json)::jsonb)
            """, logger: logger)
    }
}
