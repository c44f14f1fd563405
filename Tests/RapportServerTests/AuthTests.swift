import Foundation
import HTTPTypes
import HummingbirdTesting
import RapportStore
import RapportTestSupport
import Testing

@Suite(.enabled(if: TestDatabase.isConfigured, "needs scripts/test's PostgreSQL"))
struct AuthTests {
    @Test func keysAreCheckedAndRefusalsShareOneShape() async throws {
        try await withTestApp { client, store, _ in
            let slug = uniqueSlug()
            _ = try await store.createTenant(slug: slug, name: nil, actor: "test")
            let ingest = try await store.createKey(tenant: slug, scopes: [.ingest], source: "web", name: nil, actor: "test")
            let admin = try await store.createKey(tenant: slug, scopes: [.admin], source: nil, name: nil, actor: "test")
            let revoked = try await store.createKey(tenant: slug, scopes: [.admin], source: nil, name: nil, actor: "test")
            try await store.revokeKey(tenant: slug, id: revoked.info.id, actor: "test")

            // Missing.
            try await client.execute(uri: "/v1/keys", method: .get) { response throws in
                #expect(response.status == .unauthorized)
                #expect(response.errorCode == "unauthenticated")
                #expect(response.headers[.wwwAuthenticate] != nil)
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
            }
            // Wrong, malformed, revoked.
            for header in [bearer(ingest.key + "x"), bearer("nonsense"), basic("rapport_aaaaaaaaaa_" + String(repeating: "b", count: 40)),
                           bearer(revoked.key), [.authorization: "Digest abc"]] {
                try await client.execute(uri: "/v1/keys", method: .get, headers: header) { response throws in
                    #expect(response.status == .unauthorized, "\(header)")
                    #expect(response.errorCode == (header[.authorization]!.hasPrefix("Digest") ? "unauthenticated" : "invalid-key"))
                }
            }
            // Valid but without the scope.
            try await client.execute(uri: "/v1/keys", method: .get, headers: bearer(ingest.key)) { response throws in
                #expect(response.status == .forbidden)
                #expect(response.errorCode == "missing-scope")
                #expect(try response.decode(ErrorBody.self).error.message.contains("`admin`"))
            }
            // Valid with the scope, as bearer and as Segment-style Basic (key as user name, empty password).
            for header in [bearer(admin.key), basic(admin.key)] {
                try await client.execute(uri: "/v1/keys", method: .get, headers: header) { response throws in
                    #expect(response.status == .ok)
                    #expect(response.text.contains(ingest.info.id))
                    #expect(!response.text.contains(ingest.key))
                }
            }
            try await client.execute(uri: "/v1/whoami", method: .get, headers: basic(ingest.key)) { response throws in
                #expect(response.status == .ok)
                let body = try response.decode([String: AnyCodable].self)
                #expect(body["tenant"]?.string == slug)
                #expect(body["source"]?.string == "web")
            }
        }
    }

    @Test func aTenantAdminManagesOnlyItsOwnKeys() async throws {
        try await withTestApp { client, store, _ in
            let a = uniqueSlug("a"), b = uniqueSlug("b")
            _ = try await store.createTenant(slug: a, name: nil, actor: "test")
            _ = try await store.createTenant(slug: b, name: nil, actor: "test")
            let adminA = try await store.createKey(tenant: a, scopes: [.admin], source: nil, name: nil, actor: "test")
            let keyB = try await store.createKey(tenant: b, scopes: [.query], source: nil, name: nil, actor: "test")

            var newKey = ""
            try await client.execute(uri: "/v1/keys", method: .post, headers: bearer(adminA.key),
                                     body: json(["scopes": ["ingest"], "source": "ios"])) { response throws in
                #expect(response.status == .created)
                let created = try response.decode([String: AnyCodable].self)
                newKey = created["key"]?.string ?? ""
            }
            #expect(try await store.authenticate(key: newKey)?.tenant.slug == a)
            try await client.execute(uri: "/v1/keys", method: .post, headers: bearer(adminA.key), body: json(["scopes": ["write"]])) { response throws in
                #expect(response.status == .badRequest)
                #expect(response.errorCode == "invalid-request")
            }
            try await client.execute(uri: "/v1/keys/\(keyB.info.id)", method: .delete, headers: bearer(adminA.key)) { response throws in
                #expect(response.status == .notFound)
                #expect(response.errorCode == "key-not-found")
            }
            #expect(try await store.authenticate(key: keyB.key) != nil)
        }
    }
}

/// Just enough of a JSON value to read string fields in tests.
struct AnyCodable: Decodable {
    var string: String?
    init(from decoder: any Decoder) throws {
        string = try? decoder.singleValueContainer().decode(String.self)
    }
}
