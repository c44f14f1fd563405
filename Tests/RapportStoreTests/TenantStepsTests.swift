import Foundation
import PostgresNIO
import RapportTestSupport
import Testing
@testable import RapportStore

/// Tenants are made and removed in more than one transaction (a Citus worker sees a role and a
/// schema only once they are committed). A step that stopped part way is finished by running
/// the same command again, and a half-made or half-removed tenant is out of every caller's reach.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs scripts/test's PostgreSQL"))
struct TenantStepsTests {
    @Test func aCreationThatStoppedAfterItsFirstStepIsFinishedByRunningItAgain() async throws {
        try await withTestStore { store, database in
            let slug = uniqueSlug("half")
            let made = try await store.createTenant(slug: slug, name: "Half Made", actor: "test")
            // As if the process had died once the role and schema were committed: nothing of the
            // tenant migrations ran and the row still says `creating`.
            try await database.superuser { connection in
                try await connection.query(PostgresQuery(unsafeSQL: """
                    UPDATE rapport.tenants SET state = 'creating' WHERE slug = '\(slug)';
                    """), logger: TestDatabase.logger)
                try await connection.query(PostgresQuery(unsafeSQL: "DROP SCHEMA \(made.schema) CASCADE"), logger: TestDatabase.logger)
                try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(made.schema) AUTHORIZATION \(made.role)"), logger: TestDatabase.logger)
                try await connection.query(PostgresQuery(unsafeSQL: "DELETE FROM rapport.migrations WHERE scope = '\(made.schema)'"), logger: TestDatabase.logger)
                try await connection.query(PostgresQuery(unsafeSQL: "DELETE FROM rapport.audit_log WHERE tenant_id = \(made.id)"), logger: TestDatabase.logger)
            }
            // Out of reach meanwhile: no lookup, no list, no key, no migration run over it.
            #expect(try await store.tenant(slug: slug) == nil)
            #expect(try await store.listTenants().isEmpty)
            await #expect(throws: StoreError.tenantNotFound(slug)) {
                _ = try await store.createKey(tenant: slug, scopes: [.ingest], source: nil, name: nil, actor: "test")
            }
            _ = try await store.migrate()
            #expect(try await database.superuserRows(
                "SELECT count(*)::text FROM pg_tables WHERE schemaname = '\(made.schema)'") == [["0"]])
            #expect(try await store.tenantOverview().map(\.state) == [.creating])

            // The same command finishes it: the same tenant, its tables, ready, recorded once.
            let finished = try await store.createTenant(slug: slug, name: "Another Name", actor: "test")
            #expect(finished == made)
            #expect(try await store.tenant(slug: slug) == made)
            #expect(try await store.tenantOverview().map(\.state) == [.ready])
            let tables = try await database.superuserRows("SELECT tablename FROM pg_tables WHERE schemaname = '\(made.schema)'")
            #expect(Set(tables.compactMap { $0[0] }).isSuperset(of: ["events", "identities", "profiles"]))
            #expect(try await database.superuserRows(
                "SELECT action FROM rapport.audit_log WHERE tenant_id = \(made.id)") == [["tenant.create"]])
            _ = try await store.createKey(tenant: slug, scopes: [.ingest], source: nil, name: nil, actor: "test")
            await #expect(throws: StoreError.tenantExists(slug)) { try await store.createTenant(slug: slug, name: nil, actor: "test") }
        }
    }

    @Test func aDeletionThatStoppedAfterItsFirstStepIsFinishedByRunningItAgain() async throws {
        try await withTestStore { store, database in
            let slug = uniqueSlug("gone")
            let tenant = try await store.createTenant(slug: slug, name: nil, actor: "test")
            let key = try await store.createKey(tenant: slug, scopes: [.ingest], source: nil, name: nil, actor: "test")
            #expect(try await store.authenticate(key: key.key) != nil)
            // As if the process had died once the schema was dropped: the role and row remain.
            try await database.superuser { connection in
                try await connection.query(PostgresQuery(unsafeSQL: "UPDATE rapport.tenants SET state = 'deleting' WHERE slug = '\(slug)'"),
                                           logger: TestDatabase.logger)
                try await connection.query(PostgresQuery(unsafeSQL: "DROP SCHEMA \(tenant.schema) CASCADE"), logger: TestDatabase.logger)
            }
            // A tenant being deleted answers no key and cannot be made again before it is gone.
            #expect(try await store.authenticate(key: key.key) == nil)
            #expect(try await store.tenant(slug: slug) == nil)
            let refused = await #expect(throws: StoreError.self) { try await store.createTenant(slug: slug, name: nil, actor: "test") }
            #expect(refused?.description.contains("is being deleted") == true, "\(String(describing: refused))")

            try await store.deleteTenant(slug: slug, actor: "test")
            #expect(try await database.superuserRows("SELECT 1 FROM pg_roles WHERE rolname = '\(tenant.role)'").isEmpty)
            #expect(try await database.superuserRows("SELECT 1 FROM rapport.tenants WHERE slug = '\(slug)'").isEmpty)
            #expect(try await database.superuserRows("SELECT 1 FROM rapport.api_keys WHERE tenant_id = \(tenant.id)").isEmpty)
            // And the slug can be used again.
            _ = try await store.createTenant(slug: slug, name: nil, actor: "test")
        }
    }

    /// Two commands making the same tenant at once: one makes it, the other is told so, and
    /// the tenant is made once. A deletion at the same time waits its turn or is told to.
    @Test func concurrentCommandsOnOneSlugTakeTurns() async throws {
        try await withTestStore { store, database in
            let slug = uniqueSlug("race")
            let outcomes = await withTaskGroup(of: String.self) { group in
                for name in ["first", "second", "third"] {
                    group.addTask {
                        do {
                            _ = try await store.createTenant(slug: slug, name: name, actor: "test")
                            return "made"
                        } catch StoreError.tenantExists, StoreError.tenantBusy {
                            return "refused"
                        } catch {
                            return "failed: \(String(reflecting: error))"
                        }
                    }
                }
                var all: [String] = []
                for await outcome in group { all.append(outcome) }
                return all.sorted()
            }
            #expect(outcomes == ["made", "refused", "refused"])
            #expect(try await database.superuserRows(
                "SELECT state FROM rapport.tenants WHERE slug = '\(slug)'") == [["ready"]])
            #expect(try await database.superuserRows(
                "SELECT count(*)::text FROM rapport.audit_log WHERE tenant = '\(slug)' AND action = 'tenant.create'") == [["1"]])

            // A delete racing a create of the same slug: whatever the order, no tenant is left
            // `ready` without its schema, and `migrate` still runs.
            let again = uniqueSlug("race")
            async let made: Void = { _ = try? await store.createTenant(slug: again, name: nil, actor: "test") }()
            async let removed: Void = { try? await store.deleteTenant(slug: again, actor: "test") }()
            _ = await (made, removed)
            let state = try await database.superuserRows("SELECT state FROM rapport.tenants WHERE slug = '\(again)'")
            if state == [["ready"]] {
                #expect(try await database.superuserRows(
                    "SELECT count(*)::text FROM pg_tables WHERE schemaname = 't_\(again)'") != [["0"]])
            } else {
                #expect(state.isEmpty)
            }
            _ = try await store.migrate()
        }
    }

    /// A role of that name that belongs to no tenant is not taken over.
    @Test func aForeignRoleWithTheTenantsNameIsNotTakenOver() async throws {
        try await withTestStore { store, database in
            let slug = uniqueSlug("taken")
            try await database.superuser { connection in
                try await connection.query(PostgresQuery(unsafeSQL: "CREATE ROLE t_\(slug) NOLOGIN"), logger: TestDatabase.logger)
            }
            defer { Task { try? await database.superuser { try await $0.query(PostgresQuery(unsafeSQL: "DROP ROLE t_\(slug)"), logger: TestDatabase.logger) } } }
            await #expect(throws: StoreError.roleExists("t_" + slug)) { try await store.createTenant(slug: slug, name: nil, actor: "test") }
            #expect(try await database.superuserRows("SELECT 1 FROM rapport.tenants WHERE slug = '\(slug)'").isEmpty)
        }
    }

    /// On one PostgreSQL server a tenant role may not log in; every one is in the group role an
    /// operator names in a Citus worker's pg_hba.conf, and `migrate` puts older roles there.
    @Test func tenantRolesAreInTheGroupAndCannotLogInOnOneServer() async throws {
        try await withTestStore { store, database in
            let a = try await store.createTenant(slug: uniqueSlug("ga"), name: nil, actor: "test")
            let b = try await store.createTenant(slug: uniqueSlug("gb"), name: nil, actor: "test")
            #expect(try await store.hasCitus() == false)
            let group = Store.tenantGroupRole
            let members = """
                SELECT r.rolname, r.rolcanlogin::text FROM pg_roles r
                WHERE r.rolname IN ('\(a.role)', '\(b.role)') AND pg_has_role(r.oid, '\(group)', 'MEMBER') ORDER BY 1
                """
            #expect(try await database.superuserRows(members) == [[a.role, "false"], [b.role, "false"]])
            try await database.superuser { connection in
                try await connection.query(PostgresQuery(unsafeSQL: "REVOKE \(group) FROM \(b.role)"), logger: TestDatabase.logger)
            }
            #expect(try await database.superuserRows(members) == [[a.role, "false"]])
            _ = try await store.migrate()
            #expect(try await database.superuserRows(members) == [[a.role, "false"], [b.role, "false"]])
        }
    }

    /// A statement that fails after it has begun to answer throws nothing by itself; the
    /// transaction is aborted all the same, and its COMMIT must not pass for success.
    @Test func aTransactionRolledBackAtCommitIsAnError() async throws {
        try await withTestStore { store, _ in
            let tenant = try await store.createTenant(slug: uniqueSlug("rb"), name: nil, actor: "test")
            await #expect(throws: StoreError.self) {
                try await store.withTenant(tenant) { connection in
                    try await connection.query("INSERT INTO profiles DEFAULT VALUES", logger: store.logger)
                    // Division by zero at the second row, after the row description went out; the rows are never read.
                    _ = try await connection.query("SELECT 1 / (2 - x) FROM generate_series(1, 3) AS x", logger: store.logger)
                }
            }
            let count = try await store.withTenant(tenant, readOnly: true) { connection in
                var n = -1
                for try await c in try await connection.query("SELECT count(*) FROM profiles", logger: store.logger).decode(Int.self) { n = c }
                return n
            }
            #expect(count == 0)
        }
    }
}
