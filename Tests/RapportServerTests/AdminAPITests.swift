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
                #expect(response.errorCode == "bad-request")
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
