import Foundation
import PostgresNIO
import RapportTestSupport
import Testing
@testable import RapportStore

@Suite(.enabled(if: TestDatabase.isConfigured, "needs scripts/test's PostgreSQL"))
struct MigrationTests {
    @Test func migrationsApplyOnceAndAreIdempotent() async throws {
        try await withTestStore(migrate: false) { store, database in
            #expect(try await store.migrationStatus().isCurrent == false)
            let first = try await store.migrate()
            #expect(first.count == store.migrations.control.count)
            let second = try await store.migrate()
            #expect(second.count == 0)
            #expect(try await store.migrationStatus().isCurrent)
            let ledger = try await database.superuserRows("SELECT scope, version, checksum FROM rapport.migrations ORDER BY version")
            #expect(ledger.map { $0[2] } == store.migrations.control.map(\.checksum))
            let tables = try await database.superuserRows("SELECT tablename FROM pg_tables WHERE schemaname = 'rapport' ORDER BY 1")
            #expect(tables.compactMap { $0[0] } == ["api_keys", "audit_log", "console_sessions", "migrations", "privacy_exports", "privacy_requests", "tenants"])
        }
    }

    @Test func tenantMigrationsApplyToExistingTenantsWhenAdded() async throws {
        try await withTestStore { store, database in
            let tenant = try await store.createTenant(slug: uniqueSlug(), name: nil, actor: "test")
            let extra = try Migration(scope: .tenant, name: "9999_extra.sql", sql: "CREATE TABLE extra (id int);")
            let newer = Store(client: store.client, migrations: try MigrationSet(
                control: store.migrations.control, tenant: store.migrations.tenant + [extra]), logger: store.logger)
            #expect(try await newer.migrationStatus().pending[tenant.schema] == ["9999_extra.sql"])
            let report = try await newer.migrate()
            #expect(report.applied.map(\.scope) == [tenant.schema])
            let owner = try await database.superuserRows(
                "SELECT tableowner FROM pg_tables WHERE schemaname = '\(tenant.schema)' AND tablename = 'extra'")
            #expect(owner == [[tenant.role]])
        }
    }

    @Test func anEditedAppliedMigrationIsAClearError() async throws {
        try await withTestStore { store, _ in
            let original = store.migrations.control[0]
            let edited = try Migration(scope: .control, name: original.name, sql: original.sql + "\n-- edited\n")
            let changed = Store(client: store.client, migrations: try MigrationSet(
                control: [edited] + store.migrations.control.dropFirst(), tenant: store.migrations.tenant), logger: store.logger)
            await #expect(throws: StoreError.migrationChanged(scope: "control", file: "control/\(original.name)")) {
                try await changed.migrate()
            }
            await #expect(throws: StoreError.migrationChanged(scope: "control", file: "control/\(original.name)")) {
                try await changed.migrationStatus()
            }
        }
    }

    @Test func aFailingMigrationLeavesNothingHalfApplied() async throws {
        try await withTestStore { store, database in
            let broken = try Migration(scope: .control, name: "9000_broken.sql",
                                       sql: "CREATE TABLE rapport.half (id int);\nSELECT * FROM no_such_table;")
            let withBroken = Store(client: store.client, migrations: try MigrationSet(
                control: store.migrations.control + [broken], tenant: store.migrations.tenant), logger: store.logger)
            await #expect(throws: StoreError.self) { try await withBroken.migrate() }
            #expect(try await database.superuserRows("SELECT to_regclass('rapport.half')") == [[nil]])
            #expect(try await database.superuserRows("SELECT count(*)::text FROM rapport.migrations WHERE version = 9000") == [["0"]])
        }
    }

    /// A tenant moved between Citus workers (`rapport tenants move`) is copied by logical
    /// replication, which refuses a table that has no replica identity: a primary key, or a
    /// unique index named as the identity (the outbox has no primary key since 0010).
    @Test func everyTenantTableHasAReplicaIdentity() async throws {
        try await withTestStore { store, database in
            let tenant = try await store.createTenant(slug: uniqueSlug(), name: nil, actor: "test")
            let without = try await database.superuserRows("""
                SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = '\(tenant.schema)' AND c.relkind IN ('r', 'p')
                  AND NOT (c.relreplident = 'i' OR (c.relreplident = 'd' AND EXISTS (
                      SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)))
                ORDER BY 1
                """)
            #expect(without.isEmpty, "tables without a replica identity: \(without)")
            let outbox = try await database.superuserRows("SELECT relreplident::text FROM pg_class WHERE oid = '\(tenant.schema).sync_outbox'::regclass")
            #expect(outbox == [["i"]])
        }
    }
}
