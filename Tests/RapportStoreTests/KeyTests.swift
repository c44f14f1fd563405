import Foundation
import RapportTestSupport
import Testing
@testable import RapportStore

@Suite(.enabled(if: TestDatabase.isConfigured, "needs scripts/test's PostgreSQL"))
struct KeyTests {
    @Test func createAuthenticateListRevoke() async throws {
        try await withTestStore { store, _ in
            let slug = uniqueSlug()
            let tenant = try await store.createTenant(slug: slug, name: nil, actor: "test")
            let created = try await store.createKey(tenant: slug, scopes: [.ingest], source: "web", name: "site", actor: "test")
            let auth = try #require(try await store.authenticate(key: created.key))
            #expect(auth.tenant == tenant)
            #expect(auth.scopes == [.ingest])
            #expect(auth.source == "web")
            #expect(try await store.authenticate(key: created.key + "x") == nil)
            #expect(try await store.authenticate(key: "rapport_\(created.info.id)_" + String(repeating: "A", count: 40)) == nil)

            #expect(try await store.listKeys(tenant: slug).map(\.id) == [created.info.id])
            try await store.revokeKey(tenant: slug, id: created.info.id, actor: "test")
            #expect(try await store.authenticate(key: created.key) == nil)
            #expect(try await store.listKeys(tenant: slug).first?.revokedAt != nil)
            await #expect(throws: StoreError.keyNotFound("nope")) { try await store.revokeKey(tenant: slug, id: "nope", actor: "test") }
            await #expect(throws: StoreError.tenantNotFound("missing")) {
                try await store.createKey(tenant: "missing", scopes: [.query], source: nil, name: nil, actor: "test")
            }
        }
    }

    @Test func aKeyOfOneTenantCannotBeRevokedThroughAnother() async throws {
        try await withTestStore { store, _ in
            let a = uniqueSlug("a"), b = uniqueSlug("b")
            _ = try await store.createTenant(slug: a, name: nil, actor: "test")
            _ = try await store.createTenant(slug: b, name: nil, actor: "test")
            let key = try await store.createKey(tenant: a, scopes: [.query], source: nil, name: nil, actor: "test")
            await #expect(throws: StoreError.keyNotFound(key.info.id)) { try await store.revokeKey(tenant: b, id: key.info.id, actor: "test") }
            #expect(try await store.authenticate(key: key.key) != nil)
        }
    }

    /// A dump of the whole database holds no key, only hashes.
    @Test func noRawKeyAnywhereInTheDatabase() async throws {
        try await withTestStore { store, database in
            let slug = uniqueSlug()
            _ = try await store.createTenant(slug: slug, name: nil, actor: "test")
            var keys: [CreatedKey] = []
            for scopes in [[Scope.ingest], [.query, .admin], Scope.allCases] {
                keys.append(try await store.createKey(tenant: slug, scopes: scopes, source: nil, name: nil, actor: "test"))
            }
            let dump = try await pgDump(database)
            #expect(dump.contains("api_keys"))
            for key in keys {
                let secret = String(key.key.split(separator: "_").last!)
                #expect(!dump.contains(secret), "the secret of key \(key.info.id) is in the dump")
                #expect(dump.contains(key.info.id))
            }
        }
    }

    func pgDump(_ database: TestDatabase) async throws -> String {
        let bin = ProcessInfo.processInfo.environment["RAPPORT_TEST_PG_BINDIR"].map { $0 + "/pg_dump" } ?? "/usr/bin/pg_dump"
        let url = database.superuserURL
        let result = try await ChildProcess.run(bin, ["-h", url.host, "-p", "\(url.port)", "-U", url.username, "--inserts", url.database])
        guard result.succeeded else { throw TestSetupError("pg_dump failed: \(result.output)") }
        return result.output
    }
}
