import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import RapportStore
import RapportTestSupport
import Testing

/// Inputs an attacker with one tenant's keys sent (issue 14), each once answered with a 5xx,
/// accepted leniently, or let across tenants: now a clear 4xx, and nothing half-written.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs scripts/test's PostgreSQL"))
struct HostileInputTests {
    let operatorKey = bearer("operator-secret")

    func keys(_ store: Store, _ prefix: String) async throws -> (tenant: Tenant, admin: String, privacy: String, query: String) {
        let slug = uniqueSlug(prefix)
        let tenant = try await store.createTenant(slug: slug, name: nil, actor: "test")
        let admin = try await store.createKey(tenant: slug, scopes: [.admin], source: nil, name: nil, actor: "test").key
        let privacy = try await store.createKey(tenant: slug, scopes: [.privacy], source: nil, name: nil, actor: "test").key
        let query = try await store.createKey(tenant: slug, scopes: [.query], source: nil, name: nil, actor: "test").key
        return (tenant, admin, privacy, query)
    }

    /// The framework's lenient decoder created a tenant from `{"slug":"x",}`: every route now
    /// reads JSON as strictly as ingestion does.
    @Test func everyRouteReadsJSONStrictly() async throws {
        try await withTestApp { client, store, database in
            let (tenant, admin, _, query) = try await keys(store, "strict")
            let slug = uniqueSlug("lenient")
            let lenient = [#"{"slug":"\#(slug)",}"#, #"{"slug":"\#(slug)","name":"a\x"}"#, #"{"slug":"\#(slug)","n":01}"#,
                           "{\"slug\":\"\(slug)\",\"name\":\"a\u{1}b\"}", #"{"slug":"\#(slug)","name":"a\u0000b"}"#]
            for body in lenient {
                try await client.execute(uri: "/admin/v1/tenants", method: .post, headers: operatorKey, body: ByteBuffer(string: body)) { response throws in
                    #expect(response.status == .badRequest, "\(body)")
                    #expect(response.errorCode == "invalid-json", "\(body): \(response.text)")
                }
            }
            #expect(try await store.tenant(slug: slug) == nil)
            let routes: [(String, HTTPRequest.Method, String, String)] = [
                ("/v1/keys", .post, admin, #"{"scopes":["query"],}"#),
                ("/v1/query", .post, query, #"{"q":"count profiles",}"#),
                ("/v1/query/validate", .post, query, #"{"q":"count profiles" "x"}"#),
                ("/v1/query/cancel", .post, query, #"{"id":"a\q"}"#),
                ("/v1/identity", .put, admin, #"{"source_precedence":["crm"],}"#),
                ("/v1/profiles/1/unmerge", .post, admin, #"{"merged_id":01}"#),
            ]
            for (path, method, key, body) in routes {
                try await client.execute(uri: path, method: method, headers: bearer(key), body: ByteBuffer(string: body)) { response throws in
                    #expect(response.status == .badRequest, "\(path): \(response.text)")
                    #expect(response.errorCode == "invalid-json", "\(path): \(response.text)")
                }
            }
            // Numbers past what the database holds are the client's mistake too.
            let kinds = #"{"kinds":[{"name":"user_id","priority":3000000000,"limit":1,"blocked":[],"normalization":"trim"},"# +
                #"{"name":"anonymous_id","priority":2,"limit":100,"blocked":[],"normalization":"trim"}]}"#
            try await client.execute(uri: "/v1/identity", method: .put, headers: bearer(admin), body: ByteBuffer(string: kinds)) { response throws in
                #expect(response.status == .badRequest, "\(response.text)")
            }
            #expect(try await store.listKeys(tenant: tenant.slug).count == 3)
        }
    }

    /// NUL in a key's name or source, or a tenant's name, was a 503 that told clients to retry;
    /// in `source_precedence` a 500. Whether it comes escaped (the JSON reader refuses it) or
    /// reaches the store some other way (the CLI), it is a 400 naming the field.
    @Test func nulIsAClientErrorEverywhere() async throws {
        try await withTestApp { client, store, _ in
            let (tenant, admin, _, _) = try await keys(store, "nul")
            for body in [#"{"scopes":["query"],"name":"a\u0000"}"#, #"{"scopes":["ingest"],"source":"\u0000"}"#] {
                try await client.execute(uri: "/v1/keys", method: .post, headers: bearer(admin), body: ByteBuffer(string: body)) { response throws in
                    #expect(response.status == .badRequest, "\(response.text)")
                }
            }
            await #expect(throws: StoreError.invalidInput("A key name cannot hold the NUL character.")) {
                try await store.createKey(tenant: tenant.slug, scopes: [.query], source: nil, name: "a\0b", actor: "test")
            }
            await #expect(throws: StoreError.invalidInput("A source name cannot hold the NUL character.")) {
                try await store.createKey(tenant: tenant.slug, scopes: [.ingest], source: "s\0", name: nil, actor: "test")
            }
            await #expect(throws: StoreError.invalidInput("A tenant name cannot hold the NUL character.")) {
                try await store.createTenant(slug: uniqueSlug("nul"), name: "x\0", actor: "test")
            }
            await #expect(throws: StoreError.invalidInput("A source name cannot hold the NUL character.")) {
                try await store.setSourcePrecedence(["crm\0"], tenant: tenant)
            }
            #expect(try await store.listKeys(tenant: tenant.slug).count == 3)
        }
    }

    /// Bodies past a route's limit were read as errors of the server (500): now 413.
    @Test func oversizedBodiesAre413() async throws {
        try await withTestApp { client, store, _ in
            let (_, admin, privacy, query) = try await keys(store, "big")
            let big = #"{"type":"erasure","subject":{"email":""# + String(repeating: "a", count: 70_000) + #""}}"#
            for (path, method) in [("/v1/privacy/requests", HTTPRequest.Method.post), ("/v1/privacy/settings", .put)] {
                try await client.execute(uri: path, method: method, headers: bearer(privacy), body: ByteBuffer(string: big)) { response throws in
                    #expect(response.status == .contentTooLarge, "\(path): \(response.text)")
                    #expect(response.errorCode == "payload-too-large")
                }
            }
            let huge = ByteBuffer(string: #"{"q":""# + String(repeating: " ", count: 1_100_000) + #""}"#)
            try await client.execute(uri: "/v1/query", method: .post, headers: bearer(query), body: huge) { response throws in
                #expect(response.status == .contentTooLarge)
            }
            try await client.execute(uri: "/v1/keys", method: .post, headers: bearer(admin), body: huge) { response throws in
                #expect(response.status == .contentTooLarge)
            }
        }
    }

    /// A cancel by tenant A of id X once made tenant B's query X answer 409, and A's query
    /// under B's running id made B's own cancel miss. Ids are now each tenant's own.
    @Test func queryIDsBelongToTheirTenant() async throws {
        try await withTestApp { client, store, _ in
            let a = try await keys(store, "qa"), b = try await keys(store, "qb")
            try await client.execute(uri: "/v1/query/cancel", method: .post, headers: bearer(a.query), body: ByteBuffer(string: #"{"id":"x"}"#)) { response throws in
                #expect(response.text.contains("\"cancelled\":false"))
            }
            try await client.execute(uri: "/v1/query", method: .post, headers: bearer(b.query),
                                     body: ByteBuffer(string: #"{"q":"count profiles","id":"x"}"#)) { response throws in
                #expect(response.status == .ok, "\(response.text)")
            }
            // A's own early cancel still stops A's query.
            try await client.execute(uri: "/v1/query", method: .post, headers: bearer(a.query),
                                     body: ByteBuffer(string: #"{"q":"count profiles","id":"x"}"#)) { response throws in
                #expect(response.status == .conflict)
                #expect(response.errorCode == "query-cancelled")
            }
            // An id of 201 bytes is refused.
            try await client.execute(uri: "/v1/query/cancel", method: .post, headers: bearer(a.query),
                                     body: ByteBuffer(string: #"{"id":""# + String(repeating: "i", count: 201) + #""}"#)) { response throws in
                #expect(response.status == .badRequest)
            }
        }
    }

    /// PostgreSQL's limits were 500s; the checker now stops the query first, and a limit the
    /// checker cannot see is a 422 naming it.
    @Test func hostileQueriesAreBoundedClientErrors() async throws {
        try await withTestApp { client, store, _ in
            let (_, _, _, query) = try await keys(store, "qh")
            let columns = (1...1_665).map { "c\($0) = id" }.joined(separator: ", ")
            let cases: [(String, HTTPResponse.Status, String)] = [
                ("profiles | select \(columns)", .badRequest, "invalid-query"),
                (String(repeating: "@ ", count: 49_000), .badRequest, "invalid-query"),
                ("describe " + String(repeating: "(", count: 40_000), .badRequest, "invalid-query"),
            ]
            for (text, status, code) in cases {
                let body = try JSONSerialization.data(withJSONObject: ["q": text])
                try await client.execute(uri: "/v1/query", method: .post, headers: bearer(query), body: ByteBuffer(bytes: body)) { response throws in
                    #expect(response.status == status)
                    #expect(response.errorCode == code)
                    #expect(response.body.readableBytes < 150_000, "\(response.body.readableBytes) bytes")
                }
            }
        }
    }
}
