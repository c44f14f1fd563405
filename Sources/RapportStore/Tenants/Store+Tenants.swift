import Foundation
import PostgresNIO

extension Store {
    /// Creates a tenant: its row, its role (granted to the application's login role, which
    /// does not inherit its rights, and a member of ``tenantGroupRole``), its schema owned by
    /// that role, and the tenant migrations run as that role.
    ///
    /// This takes several transactions, because a Citus worker sees a role and a schema only
    /// once they are committed: the row (state `creating`), role and schema; then each
    /// migration; then the state `ready`. A creation that stopped part way is finished by
    /// calling this again with the same slug; until then the tenant has no keys and takes no data.
    /// On Citus the schema is distributed as it is made (schema-based sharding), so it lives
    /// whole on one worker, and the role may log in (Citus opens the worker connection as it).
    /// - Throws: ``StoreError/invalidTenantSlug(_:)``, ``StoreError/tenantExists(_:)``, ``StoreError/roleExists(_:)``.
    public func createTenant(slug: String, name: String?, actor: String) async throws -> Tenant {
        guard Tenant.isValidSlug(slug) else { throw StoreError.invalidTenantSlug(slug) }
        let displayName = (name?.isEmpty == false ? name : nil) ?? slug
        try StoreError.checkText(displayName, "A tenant name", maxCharacters: 200)
        do {
            let citus = try await hasCitus()
            return try await withSlugLock(slug) { connection in
                let tenant = try await Self.inTransaction(on: connection, logger: logger) { connection in
                    try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: logger)
                    let tenant: Tenant
                    if let (existing, state) = try await tenantRecord(slug: slug, on: connection) {
                        switch state {
                        case .ready: throw StoreError.tenantExists(slug)
                        case .deleting:
                            throw StoreError.invalidInput("The tenant `\(slug)` is being deleted; finish that first with `rapport tenants delete \(slug) --yes`.")
                        case .creating:
                            logger.notice("finishing the creation of a tenant that stopped part way", metadata: ["tenant": "\(slug)"])
                            tenant = existing
                        }
                    } else {
                        if try await roleExists("t_" + slug, on: connection) { throw StoreError.roleExists("t_" + slug) }
                        let rows = try await connection.query("""
                            INSERT INTO rapport.tenants (slug, name, state) VALUES (\(slug), \(displayName), 'creating')
                            RETURNING id, slug, name, created_at
                            """, logger: logger)
                        guard let created = try await Self.firstTenant(rows) else { throw StoreError.invalidInput("The tenant row was not created.") }
                        tenant = created
                    }
                    try await ensureTenantRole(tenant, citus: citus, on: connection)
                    if try await !schemaExists(tenant.schema, on: connection) {
                        if citus {
                            // Distributed as it is made, while empty: nothing stays behind on the coordinator.
                            try await connection.query("SET LOCAL citus.enable_schema_based_sharding = on", logger: logger)
                        }
                        // Made by the login role, then given away: Citus records a new distributed schema
                        // as its creator, which must own it then (the login role inherits no tenant's rights).
                        let schema = quoteIdentifier(tenant.schema)
                        try await connection.query("CREATE SCHEMA \(unescaped: schema)", logger: logger)
                        try await connection.query("ALTER SCHEMA \(unescaped: schema) OWNER TO \(unescaped: quoteIdentifier(tenant.role))", logger: logger)
                    }
                    return tenant
                }
                _ = try await apply(migrations.tenant, scope: tenant.schema, tenant: tenant, on: connection)
                try await Self.inTransaction(on: connection, logger: logger) { connection in
                    try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: logger)
                    let ready = try await connection.query(
                        "UPDATE rapport.tenants SET state = 'ready' WHERE id = \(tenant.id) AND state = 'creating' RETURNING id", logger: logger)
                    var found = false
                    for try await _ in ready { found = true }
                    guard found else { throw StoreError.tenantNotFound(slug) }
                    try await audit(tenant: tenant, actor: actor, action: "tenant.create", details: ["name": tenant.name], on: connection)
                }
                return tenant
            }
        } catch {
            throw StoreError.wrap(error, "The tenant `\(slug)` could not be created; running the same command again finishes what was done.", input: true)
        }
    }

    /// Runs `body` on one connection that holds `slug`'s session lock for the whole of it, so that
    /// one command at a time makes or removes a tenant of that slug (a process that dies lets go
    /// of it with its connection).
    /// - Throws: ``StoreError/tenantBusy(_:)`` when another command holds it.
    func withSlugLock<R: Sendable>(_ slug: String, _ body: @Sendable (PostgresConnection) async throws -> R) async throws -> R {
        try await client.withConnection { connection in
            let key = "rapport.tenant." + slug
            var locked = false
            for try await taken in try await connection.query(
                "SELECT pg_try_advisory_lock(hashtextextended(\(key), 0))", logger: logger).decode(Bool.self) { locked = taken }
            guard locked else { throw StoreError.tenantBusy(slug) }
            let outcome: Result<R, any Error>
            do { outcome = .success(try await body(connection)) } catch { outcome = .failure(error) }
            _ = try? await connection.query("SELECT pg_advisory_unlock(hashtextextended(\(key), 0))", logger: logger)
            return try outcome.get()
        }
    }

    /// The tenant's role, made if missing (`LOGIN` on Citus, else `NOLOGIN`; never a password),
    /// granted to the login role, and a member of ``tenantGroupRole``.
    func ensureTenantRole(_ tenant: Tenant, citus: Bool, on connection: PostgresConnection) async throws {
        let role = quoteIdentifier(tenant.role)
        if try await !roleExists(tenant.role, on: connection) {
            try await connection.query("CREATE ROLE \(unescaped: role) \(unescaped: citus ? "LOGIN" : "NOLOGIN") NOINHERIT", logger: logger)
            try await connection.query("GRANT \(unescaped: role) TO CURRENT_USER", logger: logger)
        }
        let group = quoteIdentifier(Self.tenantGroupRole)
        if try await !roleExists(Self.tenantGroupRole, on: connection) {
            // Roles belong to the whole cluster, which another database's Rapport shares: it may
            // make the group at the same moment (the advisory locks are per database).
            try await connection.query("SAVEPOINT tenant_group", logger: logger)
            do {
                try await connection.query("CREATE ROLE \(unescaped: group) NOLOGIN", logger: logger)
                try await connection.query("RELEASE SAVEPOINT tenant_group", logger: logger)
            } catch where ["42710", "23505"].contains(StoreError.sqlState(error) ?? "") {
                try await connection.query("ROLLBACK TO SAVEPOINT tenant_group", logger: logger)
            }
        }
        let member = try await connection.query("""
            SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles r ON r.oid = m.member
            WHERE g.rolname = \(Self.tenantGroupRole) AND r.rolname = \(tenant.role)
            """, logger: logger)
        var isMember = false
        for try await _ in member { isMember = true }
        if !isMember { try await connection.query("GRANT \(unescaped: group) TO \(unescaped: role)", logger: logger) }
        if citus {
            // A role made before Citus was there: Citus connects to the worker as the tenant's role.
            let login = try await connection.query("SELECT rolcanlogin FROM pg_roles WHERE rolname = \(tenant.role)", logger: logger)
            for try await canLogin in login.decode(Bool.self) where !canLogin {
                try await connection.query("ALTER ROLE \(unescaped: role) LOGIN", logger: logger)
            }
        }
    }

    func roleExists(_ role: String, on connection: PostgresConnection) async throws -> Bool {
        let rows = try await connection.query("SELECT 1 FROM pg_roles WHERE rolname = \(role)", logger: logger)
        for try await _ in rows { return true }
        return false
    }

    func schemaExists(_ schema: String, on connection: PostgresConnection) async throws -> Bool {
        let rows = try await connection.query("SELECT 1 FROM pg_namespace WHERE nspname = \(schema)", logger: logger)
        for try await _ in rows { return true }
        return false
    }

    /// The tenant with `slug` in any state.
    func tenantRecord(slug: String, on connection: PostgresConnection) async throws -> (Tenant, TenantState)? {
        let rows = try await connection.query(
            "SELECT id, slug, name, created_at, state FROM rapport.tenants WHERE slug = \(slug)", logger: logger)
        for try await (id, slug, name, createdAt, state) in rows.decode((Int64, String, String, Date, String).self) {
            return (Tenant(id: id, slug: slug, name: name, createdAt: createdAt), TenantState(rawValue: state) ?? .ready)
        }
        return nil
    }

    /// Every tenant, by slug.
    public func listTenants() async throws -> [Tenant] {
        let rows = try await client.query(
            "SELECT id, slug, name, created_at FROM rapport.tenants WHERE state = 'ready' ORDER BY slug", logger: logger)
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
            "SELECT id, slug, name, created_at FROM rapport.tenants WHERE slug = \(slug) AND state = 'ready'", logger: logger))
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
    ///
    /// Two transactions, because Citus drops a role on every node only once nothing it owns is
    /// left anywhere: first the keys go, the state becomes `deleting` and the schema is dropped
    /// as its owner; then the role and the row. A deletion that stopped between them is finished
    /// by calling this again.
    public func deleteTenant(slug: String, actor: String) async throws {
        do {
            try await withSlugLock(slug) { connection in try await deleteTenant(slug: slug, actor: actor, on: connection) }
        } catch {
            throw StoreError.wrap(error, "The tenant `\(slug)` could not be deleted; running the same command again finishes what was done.")
        }
    }

    private func deleteTenant(slug: String, actor: String, on connection: PostgresConnection) async throws {
        let tenant = try await Self.inTransaction(on: connection, logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: logger)
            guard let (tenant, _) = try await tenantRecord(slug: slug, on: connection) else { throw StoreError.tenantNotFound(slug) }
            try await connection.query("UPDATE rapport.tenants SET state = 'deleting' WHERE id = \(tenant.id)", logger: logger)
            try await connection.query("DELETE FROM rapport.api_keys WHERE tenant_id = \(tenant.id)", logger: logger)
            if try await roleExists(tenant.role, on: connection) {
                let role = quoteIdentifier(tenant.role)
                // The login role inherits no tenant's rights: drop the schema as its owner.
                try await connection.query("SET LOCAL ROLE \(unescaped: role)", logger: logger)
                try await connection.query("DROP OWNED BY \(unescaped: role) CASCADE", logger: logger)
                try await connection.query("RESET ROLE", logger: logger)
            }
            try await connection.query("DELETE FROM rapport.migrations WHERE scope = \(tenant.schema)", logger: logger)
            return tenant
        }
        try await Self.inTransaction(on: connection, logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: logger)
            if try await roleExists(tenant.role, on: connection) {
                try await connection.query("DROP ROLE \(unescaped: quoteIdentifier(tenant.role))", logger: logger)
            }
            try await connection.query("DELETE FROM rapport.tenants WHERE id = \(tenant.id)", logger: logger)
            try await audit(tenant: tenant, actor: actor, action: "tenant.delete", details: [:], on: connection)
        }
    }

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
