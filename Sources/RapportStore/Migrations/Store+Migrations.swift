import Foundation
import Logging
import PostgresNIO

/// What a migration run did.
public struct MigrationReport: Sendable {
    /// `control` or a tenant schema, with the file names applied there.
    public var applied: [(scope: String, files: [String])] = []
    public var count: Int { applied.reduce(0) { $0 + $1.files.count } }
}

/// Migrations still to apply, by scope.
public struct MigrationStatus: Sendable {
    public var pending: [String: [String]]
    public var isCurrent: Bool { pending.values.allSatisfy(\.isEmpty) }
}

extension Store {
    /// The ledger's key for the control schema; tenants use their schema name.
    static let controlScope = "control"
    /// Serialises migration runs of several Rapport processes.
    static let migrationLock: Int64 = 0x7261_7070_6f72_74

    /// Applies every pending migration: the control schema first, then each tenant's schema.
    /// Each file runs in its own transaction and is recorded with its checksum.
    /// - Throws: ``StoreError/migrationChanged(scope:file:)`` if an applied file was edited.
    @discardableResult
    public func migrate() async throws -> MigrationReport {
        var report = MigrationReport()
        try await createLedger()
        let control = try await apply(migrations.control, scope: Self.controlScope, tenant: nil)
        if !control.isEmpty { report.applied.append((Self.controlScope, control)) }
        for tenant in try await listTenants() {
            let files = try await apply(migrations.tenant, scope: tenant.schema, tenant: tenant)
            if !files.isEmpty { report.applied.append((tenant.schema, files)) }
        }
        try await settleTenantRoles()
        return report
    }

    /// Puts every tenant role in ``tenantGroupRole`` (roles made before it existed) and, on
    /// Citus, lets it log in (roles made before Citus was installed).
    func settleTenantRoles() async throws {
        do {
            try await settleTenantRolesOnce()
        } catch {
            throw StoreError.wrap(error, "Could not put the tenant roles in the group role `\(Self.tenantGroupRole)`"
                                  + " (the login role needs CREATEROLE, and ADMIN OPTION on that role if another role made it).")
        }
    }

    private func settleTenantRolesOnce() async throws {
        let citus = try await hasCitus()
        try await withTransaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: logger)
            let unsettled = try await connection.query("""
                SELECT t.id, t.slug, t.name, t.created_at FROM rapport.tenants t JOIN pg_roles r ON r.rolname = 't_' || t.slug
                WHERE t.state = 'ready' AND (\(citus) AND NOT r.rolcanlogin OR NOT EXISTS (
                    SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                    WHERE m.member = r.oid AND g.rolname = \(Self.tenantGroupRole)))
                """, logger: logger)
            var tenants: [Tenant] = []
            for try await (id, slug, name, createdAt) in unsettled.decode((Int64, String, String, Date).self) {
                tenants.append(Tenant(id: id, slug: slug, name: name, createdAt: createdAt))
            }
            for tenant in tenants { try await ensureTenantRole(tenant, citus: citus, on: connection) }
        }
    }

    /// Which migrations are not yet applied (and whether an applied one was edited).
    public func migrationStatus() async throws -> MigrationStatus {
        let ledger = try await readLedger()
        var pending: [String: [String]] = [:]
        func check(_ list: [Migration], scope: String) throws {
            let applied = ledger[scope] ?? [:]
            for migration in list {
                if let checksum = applied[migration.version], !migration.acceptedChecksums.contains(checksum) {
                    throw StoreError.migrationChanged(scope: scope, file: "\(migration.scope.rawValue)/\(migration.name)")
                }
            }
            pending[scope] = list.filter { applied[$0.version] == nil }.map(\.name)
        }
        try check(migrations.control, scope: Self.controlScope)
        if pending[Self.controlScope]?.isEmpty == true {
            for tenant in try await listTenants() { try check(migrations.tenant, scope: tenant.schema) }
        }
        return MigrationStatus(pending: pending)
    }

    func createLedger() async throws {
        do {
            try await withTransaction { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: logger)
                // On Citus with schema-based sharding, a new schema is distributed; the control
                // schema stays a plain local schema on the coordinator (and this setting is a
                // harmless placeholder on plain PostgreSQL).
                try await connection.query("SET LOCAL citus.enable_schema_based_sharding = off", logger: logger)
                try await connection.query("CREATE SCHEMA IF NOT EXISTS rapport", logger: logger)
                try await connection.query("""
                    CREATE TABLE IF NOT EXISTS rapport.migrations (
                        scope text NOT NULL,
                        version integer NOT NULL,
                        name text NOT NULL,
                        checksum text NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now(),
                        PRIMARY KEY (scope, version)
                    )
                    """, logger: logger)
            }
        } catch {
            let privilege = StoreError.sqlState(error) == "42501"
            throw StoreError.wrap(error, "Could not create the migration ledger" + (privilege
                ? "; the database role needs the CREATE privilege on the database." : "."))
        }
    }

    /// Applies `list` to `scope`, each pending file in its own transaction; returns the files applied.
    func apply(_ list: [Migration], scope: String, tenant: Tenant?) async throws -> [String] {
        try await client.withConnection { try await apply(list, scope: scope, tenant: tenant, on: $0) }
    }

    /// The same, on `connection`.
    func apply(_ list: [Migration], scope: String, tenant: Tenant?, on connection: PostgresConnection) async throws -> [String] {
        var appliedFiles: [String] = []
        for migration in list {
            let applied = try await Self.inTransaction(on: connection, logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: logger)
                return try await applyOne(migration, scope: scope, tenant: tenant, on: connection)
            }
            if applied { appliedFiles.append(migration.name) }
        }
        if !appliedFiles.isEmpty {
            logger.info("applied migrations", metadata: ["scope": "\(scope)", "files": "\(appliedFiles.joined(separator: ","))"])
        }
        return appliedFiles
    }

    /// Applies `migration` inside the caller's transaction unless the ledger has it.
    /// - Returns: whether it ran.
    func applyOne(_ migration: Migration, scope: String, tenant: Tenant?, on connection: PostgresConnection) async throws -> Bool {
        let rows = try await connection.query(
            "SELECT checksum FROM rapport.migrations WHERE scope = \(scope) AND version = \(migration.version)", logger: logger)
        for try await checksum in rows.decode(String.self) {
            guard migration.acceptedChecksums.contains(checksum) else {
                throw StoreError.migrationChanged(scope: scope, file: "\(migration.scope.rawValue)/\(migration.name)")
            }
            return false
        }
        if let tenant { try await enterTenant(tenant, on: connection) }
        for statement in migration.statements {
            do {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            } catch {
                throw StoreError.wrap(error, "The migration \(migration.scope.rawValue)/\(migration.name) failed on \(scope).")
            }
        }
        if tenant != nil { try await connection.query("RESET ROLE", logger: logger) }
        try await connection.query("""
            INSERT INTO rapport.migrations (scope, version, name, checksum)
            VALUES (\(scope), \(migration.version), \(migration.name), \(migration.checksum))
            """, logger: logger)
        return true
    }

    /// scope -> version -> checksum.
    func readLedger() async throws -> [String: [Int: String]] {
        let exists = try await client.query("SELECT to_regclass('rapport.migrations') IS NOT NULL", logger: logger)
        for try await present in exists.decode(Bool.self) where !present { return [:] }
        var ledger: [String: [Int: String]] = [:]
        let rows = try await client.query("SELECT scope, version, checksum FROM rapport.migrations", logger: logger)
        for try await (scope, version, checksum) in rows.decode((String, Int, String).self) {
            ledger[scope, default: [:]][version] = checksum
        }
        return ledger
    }
}
