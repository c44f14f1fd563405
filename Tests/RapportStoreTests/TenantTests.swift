import Foundation
import PostgresNIO
import RapportTestSupport
import Testing
@testable import RapportStore

@Suite(.enabled(if: TestDatabase.isConfigured, "needs scripts/test's PostgreSQL"))
struct TenantTests {
    @Test func createListDuplicateAndDelete() async throws {
        try await withTestStore { store, database in
            let slug = uniqueSlug("acme")
            let tenant = try await store.createTenant(slug: slug, name: "Acme Inc", actor: "test")
            #expect(tenant.name == "Acme Inc")
            #expect(try await store.listTenants().map(\.slug) == [slug])
            await #expect(throws: StoreError.tenantExists(slug)) {
                try await store.createTenant(slug: slug, name: nil, actor: "test")
            }
            let schemas = try await database.superuserRows("SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = '\(tenant.schema)'")
            #expect(schemas == [[tenant.role]])
            let tables = try await database.superuserRows(
                "SELECT tablename FROM pg_tables WHERE schemaname = '\(tenant.schema)' ORDER BY 1")
            #expect(Set(tables.compactMap { $0[0] }).isSuperset(of: ["catalogue", "definitions", "events", "identities", "merges", "profiles", "suppressions"]))

            try await store.deleteTenant(slug: slug, actor: "test")
            #expect(try await store.listTenants().isEmpty)
            #expect(try await database.superuserRows("SELECT 1 FROM pg_namespace WHERE nspname = '\(tenant.schema)'").isEmpty)
            #expect(try await database.superuserRows("SELECT 1 FROM pg_roles WHERE rolname = '\(tenant.role)'").isEmpty)
            #expect(try await database.superuserRows("SELECT count(*)::text FROM rapport.migrations WHERE scope = '\(tenant.schema)'") == [["0"]])
            await #expect(throws: StoreError.tenantNotFound(slug)) { try await store.deleteTenant(slug: slug, actor: "test") }
            // The slug is free again.
            _ = try await store.createTenant(slug: slug, name: nil, actor: "test")
            let actions = try await database.superuserRows("SELECT action FROM rapport.audit_log WHERE tenant = '\(slug)' ORDER BY id")
            #expect(actions.compactMap { $0[0] } == ["tenant.create", "tenant.delete", "tenant.create"])
        }
    }

    /// A tenant made with a deleted tenant's slug is another tenant: the deleted one's privacy
    /// records stay in the audit log (the law wants them kept) but out of the new one's sight.
    @Test func aReusedSlugInheritsNoAuditRecords() async throws {
        try await withTestStore { store, database in
            let slug = uniqueSlug("reuse")
            let old = try await store.createTenant(slug: slug, name: nil, actor: "test")
            let request = try await store.fileRequest(.suppress, subject: PrivacySubject(kind: "email", value: "ann@example.com"),
                                                      tenant: old, actor: "key:old")
            _ = try await store.runPrivacyRequest(request.id)
            let before = try await store.privacyAudit(tenant: old)
            #expect(before.map(\.request).contains(request.id))
            try await store.deleteTenant(slug: slug, actor: "test")

            let new = try await store.createTenant(slug: slug, name: nil, actor: "test")
            #expect(new.id != old.id)
            #expect(try await store.privacyAudit(tenant: new).isEmpty)
            // Kept for the record, under the old tenant's id.
            let kept = try await database.superuserRows(
                "SELECT count(*)::text FROM rapport.audit_log WHERE tenant_id = \(old.id) AND details->>'request' = '\(request.id)'")
            #expect(kept != [["0"]])
            // The new tenant's own requests are its own.
            let mine = try await store.fileRequest(.suppress, subject: PrivacySubject(kind: "email", value: "bob@example.com"),
                                                   tenant: new, actor: "key:new")
            #expect(try await store.privacyAudit(tenant: new).map(\.request) == [mine.id])
        }
    }

    @Test(arguments: ["", "Acme", "1acme", "acme-inc", "a b", "t;drop", String(repeating: "a", count: 41), "ümlaut"])
    func invalidSlugsAreRefused(_ slug: String) async throws {
        try await withTestStore { store, database in
            await #expect(throws: StoreError.invalidTenantSlug(slug)) {
                try await store.createTenant(slug: slug, name: nil, actor: "test")
            }
            let count = try await database.superuserRows("SELECT count(*)::text FROM rapport.tenants")
            #expect(count == [["0"]])
        }
    }

    @Test func aTenantRoleCannotReadAnotherTenantsTables() async throws {
        try await withTestStore { store, database in
            let a = try await store.createTenant(slug: uniqueSlug("a"), name: nil, actor: "test")
            let b = try await store.createTenant(slug: uniqueSlug("b"), name: nil, actor: "test")
            try await store.withTenant(b) { connection in
                try await connection.query("INSERT INTO profiles (traits) VALUES ('{\"plan\": \"secret\"}')", logger: store.logger)
            }
            // As tenant A, B's table is out of reach even by its qualified name.
            let error = await #expect(throws: (any Error).self) {
                try await store.withTenant(a) { connection in
                    try await connection.query("SELECT * FROM \(unescaped: b.schema).profiles", logger: store.logger)
                }
            }
            #expect(String(reflecting: error).contains("permission denied"))
            // A's own search path sees only A's (empty) table.
            let count = try await store.withTenant(a, readOnly: true) { connection in
                var n = -1
                for try await c in try await connection.query("SELECT count(*) FROM profiles", logger: store.logger).decode(Int.self) { n = c }
                return n
            }
            #expect(count == 0)
            // The login role itself reaches no tenant table without SET ROLE (it inherits nothing).
            await #expect(throws: (any Error).self) {
                try await store.client.query("SELECT * FROM \(unescaped: a.schema).profiles", logger: store.logger)
            }
            // And it is no superuser and owns no tenant table.
            let login = try await database.superuserRows(
                "SELECT rolsuper::text, rolinherit::text FROM pg_roles WHERE rolname = '\(database.url.username)'")
            #expect(login == [["false", "false"]])
            let owned = try await database.superuserRows(
                "SELECT count(*)::text FROM pg_tables WHERE schemaname LIKE 't\\_%' AND tableowner = '\(database.url.username)'")
            #expect(owned == [["0"]])
        }
    }

    @Test func readOnlyTenantTransactionsCannotWrite() async throws {
        try await withTestStore { store, _ in
            let tenant = try await store.createTenant(slug: uniqueSlug(), name: nil, actor: "test")
            let error = await #expect(throws: (any Error).self) {
                try await store.withTenant(tenant, readOnly: true) { connection in
                    try await connection.query("INSERT INTO profiles DEFAULT VALUES", logger: store.logger)
                }
            }
            #expect(String(reflecting: error).contains("read-only"))
        }
    }
}
