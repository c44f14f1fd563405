import Foundation
import HTTPTypes
import NIOCore
import HummingbirdTesting
import RapportStore
import RapportTestSupport
import Testing

@Suite(.enabled(if: TestDatabase.isConfigured, "needs scripts/test's PostgreSQL"))
struct AdminAPITests {
    let operatorKey = bearer("operator-secret")

    @Test func operatorsProvisionTenantsAndKeys() async throws {
        try await withTestApp { client, store, _ in
            let slug = uniqueSlug("acme")
            try await client.execute(uri: "/admin/v1/tenants", method: .post, headers: operatorKey,
                                     body: json(["slug": slug, "name": "Acme Inc"])) { response throws in
                #expect(response.status == .created)
                #expect(response.text.contains("\"name\":\"Acme Inc\""))
            }
            try await client.execute(uri: "/admin/v1/tenants", method: .post, headers: operatorKey, body: json(["slug": slug])) { response throws in
                #expect(response.status == .conflict)
                #expect(response.errorCode == "tenant-exists")
            }
            try await client.execute(uri: "/admin/v1/tenants", method: .post, headers: operatorKey, body: json(["slug": "Bad Slug"])) { response throws in
                #expect(response.status == .badRequest)
                #expect(response.errorCode == "invalid-request")
            }
            try await client.execute(uri: "/admin/v1/tenants", method: .post, headers: operatorKey, body: ByteBuffer(string: "{not json")) { response throws in
                #expect(response.status == .badRequest)
                #expect(response.errorCode == "invalid-json")
            }
            try await client.execute(uri: "/admin/v1/tenants", method: .get, headers: operatorKey) { response throws in
                #expect(response.status == .ok)
                #expect(response.text.contains(slug))
            }
            var key = ""
            try await client.execute(uri: "/admin/v1/tenants/\(slug)/keys", method: .post, headers: operatorKey,
                                     body: json(["scopes": ["ingest", "query"], "source": "crm", "name": "CRM sync"])) { response throws in
                #expect(response.status == .created)
                key = try response.decode([String: AnyCodable].self)["key"]?.string ?? ""
            }
            let auth = try #require(try await store.authenticate(key: key))
            #expect(auth.scopes == [.ingest, .query])
            #expect(auth.source == "crm")
            try await client.execute(uri: "/admin/v1/tenants/\(slug)/keys/\(auth.id)", method: .delete, headers: operatorKey) { response throws in
                #expect(response.status == .noContent)
            }
            #expect(try await store.authenticate(key: key) == nil)
            try await client.execute(uri: "/admin/v1/tenants/\(slug)", method: .delete, headers: operatorKey) { response throws in
                #expect(response.status == .noContent)
            }
            try await client.execute(uri: "/admin/v1/tenants/\(slug)", method: .get, headers: operatorKey) { response throws in
                #expect(response.status == .notFound)
                #expect(response.errorCode == "tenant-not-found")
            }
        }
    }

    @Test func theOperatorAPINeedsTheOperatorKey() async throws {
        try await withTestApp { client, store, _ in
            let slug = uniqueSlug()
            _ = try await store.createTenant(slug: slug, name: nil, actor: "test")
            let tenantAdmin = try await store.createKey(tenant: slug, scopes: Scope.allCases, source: nil, name: nil, actor: "test")
            try await client.execute(uri: "/admin/v1/tenants", method: .get) { response throws in
                #expect(response.status == .unauthorized)
                #expect(response.errorCode == "unauthenticated")
            }
            // A tenant's key, even with every scope, is not the operator key.
            for header in [bearer("operator-secre"), bearer(tenantAdmin.key)] {
                try await client.execute(uri: "/admin/v1/tenants", method: .get, headers: header) { response throws in
                    #expect(response.status == .unauthorized)
                    #expect(response.errorCode == "invalid-key")
                }
            }
        }
        try await withTestApp(adminKey: nil) { client, _, _ in
            try await client.execute(uri: "/admin/v1/tenants", method: .get, headers: bearer("anything")) { response throws in
                #expect(response.status == .forbidden)
                #expect(response.errorCode == "admin-api-disabled")
            }
        }
    }
}

extension AdminAPITests {
    @Test func identitySettingsOverTheOperatorAndTenantAPIs() async throws {
        try await withTestApp { client, store, _ in
            let slug = uniqueSlug()
            let tenant = try await store.createTenant(slug: slug, name: nil, actor: "test")
            let admin = try await store.createKey(tenant: slug, scopes: [.admin], source: nil, name: nil, actor: "test")
            var kinds = IdentityRules.defaults.kinds
            kinds.append(IdentityKind(name: "crm_id", priority: 2, limit: 1, blocked: [], normalization: .trim))
            let encoder = JSONEncoder()
            let body = try encoder.encode(["kinds": kinds])
            try await client.execute(uri: "/admin/v1/tenants/\(slug)/identity", method: .put, headers: operatorKey,
                                     body: ByteBuffer(bytes: body)) { response throws in
                #expect(response.status == .ok, "\(response.text)")
                #expect(response.text.contains("crm_id"))
            }
            #expect(try await store.ingestSettings(tenant: tenant).rules.kind("crm_id")?.limit == 1)
            try await client.execute(uri: "/v1/identity", method: .put, headers: bearer(admin.key),
                                     body: ByteBuffer(string: #"{"source_precedence":["crm","web"]}"#)) { response throws in
                #expect(response.status == .ok)
            }
            #expect(try await store.ingestSettings(tenant: tenant).sourcePrecedence == ["crm", "web"])
            try await client.execute(uri: "/v1/identity", method: .put, headers: bearer(admin.key),
                                     body: ByteBuffer(string: #"{"kinds":[{"name":"email","priority":1,"limit":1,"blocked":[],"normalization":"email"}]}"#)) { response throws in
                #expect(response.status == .badRequest)
                #expect(response.text.contains("The identity kind `user_id` cannot be removed."))
            }
        }
    }

    @Test func unmergeOverHTTPNeedsTheAdminScope() async throws {
        try await withTestApp { client, store, _ in
            let slug = uniqueSlug()
            let tenant = try await store.createTenant(slug: slug, name: nil, actor: "test")
            let query = try await store.createKey(tenant: slug, scopes: [.query], source: nil, name: nil, actor: "test")
            let admin = try await store.createKey(tenant: slug, scopes: [.admin], source: nil, name: nil, actor: "test")
            let t0 = Timestamp.now()
            func message(_ json: String) throws -> IngestMessage { try MessageReader.line(Array(json.utf8), receivedAt: t0) }
            _ = try await store.ingest([try message(#"{"type":"identify","anonymousId":"a"}"#), try message(#"{"type":"identify","anonymousId":"b"}"#)], tenant: tenant)
            _ = try await store.ingest([try message(#"{"type":"identify","anonymousId":"b","traits":{"email":"x@y.io"}}"#),
                                        try message(#"{"type":"identify","anonymousId":"a","traits":{"email":"x@y.io"}}"#)], tenant: tenant)
            let a = try #require(try await store.lookupProfile(kind: "anonymous_id", value: "a", tenant: tenant))
            let b = a + 1
            try await client.execute(uri: "/v1/profiles/\(a)/unmerge", method: .post, headers: bearer(query.key),
                                     body: ByteBuffer(string: #"{"merged_id":\#(b)}"#)) { response throws in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/v1/profiles/\(a)/unmerge", method: .post, headers: bearer(admin.key),
                                     body: ByteBuffer(string: #"{"merged_id":\#(b)}"#)) { response throws in
                #expect(response.status == .ok, "\(response.text)")
                #expect(response.text.contains(#""restored_profile_id":\#(b)"#))
            }
            #expect(try await store.lookupProfile(kind: "anonymous_id", value: "b", tenant: tenant) == b)
            try await client.execute(uri: "/v1/profiles/\(a)/unmerge", method: .post, headers: bearer(admin.key),
                                     body: ByteBuffer(string: #"{"merged_id":\#(b)}"#)) { response throws in
                #expect(response.status == .badRequest)
                #expect(response.text.contains("was not merged into profile"))
            }
        }
    }
}
