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

    /// tenant/0009 was corrected after it shipped (Migration.corrections): a tenant that
    /// applied its first text migrates on, one with any other text of it is refused.
    @Test func aCorrectedMigrationAcceptsItsEarlierTextOnly() async throws {
        try await withTestStore { store, database in
            let tenant = try await store.createTenant(slug: uniqueSlug(), name: nil, actor: "test")
            let earlier = try #require(Migration.corrections["tenant/0009_activation_batches.sql"]?.first)
            _ = try await database.superuserRows(
                "UPDATE rapport.migrations SET checksum = '\(earlier)' WHERE scope = '\(tenant.schema)' AND version = 9")
            #expect(try await store.migrationStatus().pending[tenant.schema] == [])
            #expect(try await store.migrate().applied.isEmpty)
            _ = try await database.superuserRows(
                "UPDATE rapport.migrations SET checksum = 'another' WHERE scope = '\(tenant.schema)' AND version = 9")
            await #expect(throws: StoreError.migrationChanged(scope: tenant.schema, file: "tenant/0009_activation_batches.sql")) {
                try await store.migrate()
            }
        }
    }

    /// tenant/0009 gathers the batches marked on outbox rows into rows of their own.
    @Test func batchesMarkedOnTheOutboxBecomeRowsOfTheirOwn() async throws {
        try await withTestStore { store, database in
            let before = Store(client: store.client, migrations: try MigrationSet(
                control: store.migrations.control, tenant: store.migrations.tenant.filter { $0.version < 9 }), logger: store.logger)
            let tenant = try await before.createTenant(slug: uniqueSlug(), name: nil, actor: "test")
            let batch = "7d0f5c52-52a3-4c8e-9e35-2f8a3c0b9d11"
            _ = try await database.superuserRows("""
                INSERT INTO \(tenant.schema).sync_outbox (destination, sync_id, sync_name, run, profile_id, kind, message_id, payload,
                                                     batch_key, attempts, first_attempt_at, last_status)
                VALUES ('crm', gen_random_uuid(), 's', 1, 11, 'entered', gen_random_uuid(), '{}', '\(batch)', 2, '2024-01-01Z', 503),
                       ('crm', gen_random_uuid(), 's', 1, 10, 'entered', gen_random_uuid(), '{}', '\(batch)', 3, '2024-01-02Z', 500),
                       ('crm', gen_random_uuid(), 's', 1, 12, 'entered', gen_random_uuid(), '{}', NULL, 0, NULL, NULL)
                """)
            let ids = try await database.superuserRows("SELECT id::text FROM \(tenant.schema).sync_outbox ORDER BY id").map { $0[0] ?? "" }
            #expect(try await store.migrate().applied.contains { $0.scope == tenant.schema })
            let rows = try await database.superuserRows("""
                SELECT key::text, destination, ids::text, profiles::text, attempts::text, (first_attempt_at = '2024-01-01Z')::text, last_status::text
                FROM \(tenant.schema).sync_batches
                """)
            #expect(rows == [[batch, "crm", "{\(ids[0]),\(ids[1])}", "{11,10}", "3", "true", "503"]])
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
