import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import RapportStore
import RapportTestSupport
import Testing

/// `/v1/privacy` over HTTP, with the server's worker carrying requests out.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs scripts/test's PostgreSQL"))
struct PrivacyAPITests {
    /// A tenant with a privacy key, an ingest key (source `web`) and a key with every other scope.
    func tenant(_ store: Store) async throws -> (tenant: Tenant, privacy: String, ingest: String, others: String) {
        let slug = uniqueSlug("priv")
        let tenant = try await store.createTenant(slug: slug, name: nil, actor: "test")
        let privacy = try await store.createKey(tenant: slug, scopes: [.privacy], source: nil, name: nil, actor: "test").key
        let ingest = try await store.createKey(tenant: slug, scopes: [.ingest], source: "web", name: nil, actor: "test").key
        let others = try await store.createKey(tenant: slug, scopes: [.ingest, .query, .admin], source: nil, name: nil, actor: "test").key
        return (tenant, privacy, ingest, others)
    }

    struct Filed: Decodable {
        var id: String
        var status: String
        var type: String
        var received_at: String
        var due_at: String
        var counts: [String: Int64]
        var error: String?
    }

    /// Files a request and waits until the worker has ended it.
    func carryOut(_ client: any TestClientProtocol, key: String, _ body: String) async throws -> Filed {
        let filed = try await client.execute(uri: "/v1/privacy/requests", method: .post, headers: bearer(key), body: ByteBuffer(string: body)) { response in
            #expect(response.status == .accepted, "\(response.text)")
            #expect(response.headers[.location]?.hasPrefix("/v1/privacy/requests/pr_") == true)
            return try response.decode(Filed.self)
        }
        #expect(filed.status == "pending")
        for _ in 0..<200 {
            let now = try await client.execute(uri: "/v1/privacy/requests/\(filed.id)", method: .get, headers: bearer(key)) { try $0.decode(Filed.self) }
            if ["completed", "failed", "cancelled"].contains(now.status) { return now }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestSetupError("the request \(filed.id) did not end")
    }

    @Test func everyPrivacyRouteNeedsThePrivacyScope() async throws {
        try await withTestApp { client, store, _ in
            let (_, privacy, _, others) = try await tenant(store)
            let routes: [(HTTPRequest.Method, String, String?)] = [
                (.post, "/v1/privacy/requests", #"{"type":"export","subject":{"email":"a@example.com"}}"#),
                (.get, "/v1/privacy/requests", nil),
                (.get, "/v1/privacy/requests?status=pending", nil),
                (.get, "/v1/privacy/requests/pr_aaaaaaaaaaaaaaaaaaaa", nil),
                (.post, "/v1/privacy/requests/pr_aaaaaaaaaaaaaaaaaaaa/cancel", nil),
                (.get, "/v1/privacy/requests/pr_aaaaaaaaaaaaaaaaaaaa/export", nil),
                (.get, "/v1/privacy/audit", nil),
                (.get, "/v1/privacy/settings", nil),
                (.put, "/v1/privacy/settings", #"{"retention":"1 year"}"#),
            ]
            for (method, uri, body) in routes {
                try await client.execute(uri: uri, method: method, headers: bearer(others), body: body.map { ByteBuffer(string: $0) }) { response in
                    #expect(response.status == .forbidden, "\(method) \(uri)")
                    #expect(response.errorCode == "missing-scope")
                }
                try await client.execute(uri: uri, method: method, body: body.map { ByteBuffer(string: $0) }) { response in
                    #expect(response.status == .unauthorized, "\(method) \(uri)")
                }
            }
            // Nothing was filed by the refused calls.
            try await client.execute(uri: "/v1/privacy/requests", method: .get, headers: bearer(privacy)) { response in
                #expect(response.status == .ok)
                #expect(response.text == #"{"requests":[]}"# + "\n")
            }
        }
    }

    @Test func badRequestsAreRefusedWithAReason() async throws {
        try await withTestApp { client, store, _ in
            let (_, privacy, _, _) = try await tenant(store)
            let cases: [(String, String)] = [
                ("not json", "Malformed JSON at byte 0"),
                ("[1]", "must be a JSON object"),
                (#"{"subject":{"email":"a@example.com"}}"#, "`type` is missing"),
                (#"{"type":"forget","subject":{"email":"a@example.com"}}"#, "`forget` is not a request type"),
                (#"{"type":"erasure"}"#, "`subject` must name exactly one identifier"),
                (#"{"type":"erasure","subject":{"email":"a@example.com","user_id":"u1"}}"#, "exactly one identifier"),
                (#"{"type":"erasure","subject":{"shoe_size":"42"}}"#, "`shoe_size` is not an identity kind"),
                (#"{"type":"erasure","subject":{"anonymous_id":"undefined"}}"#, "blocked placeholder"),
                (#"{"type":"erasure","subject":{"email":"a@example.com"},"force":true}"#, "`force` is not a field"),
            ]
            for (body, message) in cases {
                try await client.execute(uri: "/v1/privacy/requests", method: .post, headers: bearer(privacy), body: ByteBuffer(string: body)) { response in
                    #expect(response.status == .badRequest, "\(body)")
                    #expect(response.text.contains(message), "\(body): \(response.text)")
                }
            }
            try await client.execute(uri: "/v1/privacy/requests/pr_nope", method: .get, headers: bearer(privacy)) { response in
                #expect(response.status == .notFound)
                #expect(response.errorCode == "request-not-found")
            }
            try await client.execute(uri: "/v1/privacy/requests?status=done", method: .get, headers: bearer(privacy)) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/v1/privacy/settings", method: .put, headers: bearer(privacy), body: ByteBuffer(string: #"{"purposes":"ads"}"#)) { response in
                #expect(response.status == .badRequest)
                #expect(response.text.contains("`purposes` must be a list of texts"))
            }
        }
    }

    @Test func suppressedIdentifiersAreDroppedOnEveryIngestionPath() async throws {
        try await withTestApp { client, store, database in
            let (tenant, privacy, ingest, _) = try await tenant(store)
            let suppressed = try await carryOut(client, key: privacy, #"{"type":"suppress","subject":{"email":"Gone@Example.com"}}"#)
            #expect(suppressed.status == "completed")
            #expect(suppressed.counts["identifiers_suppressed"] == 1)
            let calls: [(String, String)] = [
                ("identify", #"{"anonymousId":"d1","traits":{"email":"gone@example.com"},"messageId":"m-identify"}"#),
                ("track", #"{"anonymousId":"d2","event":"Viewed","context":{"traits":{"email":"GONE@example.com"}},"messageId":"m-track"}"#),
                ("page", #"{"anonymousId":"d3","name":"Home","context":{"traits":{"email":"gone@example.com"}},"messageId":"m-page"}"#),
                ("screen", #"{"anonymousId":"d4","name":"Settings","context":{"traits":{"email":"gone@example.com"}},"messageId":"m-screen"}"#),
                ("group", #"{"anonymousId":"d5","groupId":"g1","context":{"traits":{"email":"gone@example.com"}},"messageId":"m-group"}"#),
                ("batch", #"{"batch":[{"type":"identify","userId":"u9","traits":{"email":"gone@example.com"},"messageId":"m-batch-1"},{"type":"track","userId":"keep","event":"Kept","messageId":"m-batch-2"}]}"#),
            ]
            for (path, body) in calls {
                try await client.execute(uri: "/v1/\(path)", method: .post, headers: basic(ingest), body: ByteBuffer(string: body)) { response in
                    #expect(response.status == .ok, "\(path): \(response.text)")
                    #expect(response.text == #"{"success":true}"# + "\n")
                }
            }
            // An alias whose previous id is suppressed: a user id suppressed by a second request.
            _ = try await carryOut(client, key: privacy, #"{"type":"suppress","subject":{"user_id":"old-login"}}"#)
            try await client.execute(uri: "/v1/alias", method: .post, headers: basic(ingest),
                                     body: ByteBuffer(string: #"{"userId":"new-login","previousId":"old-login","messageId":"m-alias"}"#)) { response in
                #expect(response.status == .ok)
            }
            // Bulk import goes through the same gate.
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("suppressed-\(UUID().uuidString).ndjson")
            try (#"{"type":"identify","userId":"u10","traits":{"email":"gone@example.com"},"messageId":"m-import-1"}"# + "\n"
                 + #"{"type":"track","userId":"keep","event":"Imported","messageId":"m-import-2"}"# + "\n").write(to: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: file) }
            let handle = try FileHandle(forReadingFrom: file)
            let summary = try await Importer(store: store, tenant: tenant, options: .init(rejectsPath: file.path + ".rejects")).run(handle, totalBytes: nil)
            try handle.close()
            #expect(summary.result.suppressed == 1 && summary.result.accepted == 1)

            let stored = try await database.superuserRows("SELECT message_id FROM \(tenant.schema).events ORDER BY 1")
            #expect(stored == [["m-batch-2"], ["m-import-2"]])
            let identities = try await database.superuserRows("SELECT kind || ':' || value FROM \(tenant.schema).identities ORDER BY 1")
            #expect(identities == [["user_id:keep"]])
            let first = try await client.execute(uri: "/v1/privacy/requests/\(suppressed.id)", method: .get, headers: bearer(privacy)) { try $0.decode(Filed.self) }
            #expect(first.counts["messages_dropped"] == 7)
            try await client.execute(uri: "/metrics", method: .get, headers: bearer("operator-secret")) { response in
                #expect(response.text.contains("rapport_ingest_suppressed_total"))
            }

            // Unsuppress: new messages are stored again; nothing dropped comes back.
            let lifted = try await carryOut(client, key: privacy, #"{"type":"unsuppress","subject":{"email":"gone@example.com"}}"#)
            #expect(lifted.counts["identifiers_unsuppressed"] == 1)
            try await client.execute(uri: "/v1/identify", method: .post, headers: basic(ingest),
                                     body: ByteBuffer(string: #"{"anonymousId":"d1","traits":{"email":"gone@example.com"},"messageId":"m-after"}"#)) { _ in }
            let after = try await database.superuserRows("SELECT message_id FROM \(tenant.schema).events WHERE message_id LIKE 'm-%' AND message_id NOT LIKE 'm-batch-2' AND message_id NOT LIKE 'm-import-2'")
            #expect(after == [["m-after"]])
        }
    }

    @Test func anErasureAndAnExportFromRequestToAuditLog() async throws {
        try await withTestApp { client, store, database in
            let (tenant, privacy, ingest, _) = try await tenant(store)
            try await client.execute(uri: "/v1/batch", method: .post, headers: basic(ingest), body: ByteBuffer(string: """
                {"batch":[{"type":"identify","userId":"u1","anonymousId":"d1","traits":{"email":"dee@example.com","name":"Deirdre Vantongeren"}},
                          {"type":"track","anonymousId":"d1","event":"Signed Up","timestamp":"2035-01-01T00:00:00Z"},
                          {"type":"identify","userId":"u2","traits":{"email":"eve@example.com"}}]}
                """)) { response in #expect(response.status == .ok) }

            let export = try await carryOut(client, key: privacy, #"{"type":"export","subject":{"user_id":"u1"}}"#)
            #expect(export.status == "completed")
            let received = try #require(ISO8601DateFormatter().date(from: export.received_at))
            let due = try #require(ISO8601DateFormatter().date(from: export.due_at))
            #expect(due == Calendar(identifier: .gregorian).date(byAdding: .month, value: 1, to: received))
            try await client.execute(uri: "/v1/privacy/requests/\(export.id)/export", method: .get, headers: bearer(privacy)) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                let doc = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                #expect((doc["events"] as? [Any])?.count == 2)
                #expect(!response.text.contains("eve@example.com"))
            }
            try await client.execute(uri: "/v1/privacy/requests/\(export.id)/cancel", method: .post, headers: bearer(privacy)) { response in
                #expect(response.status == .conflict)
                #expect(response.errorCode == "request-not-cancellable")
            }

            let erasure = try await carryOut(client, key: privacy, #"{"type":"erasure","subject":{"email":"DEE@example.com"}}"#)
            #expect(erasure.status == "completed", "\(erasure.error ?? "")")
            #expect(erasure.counts["events_deleted"] == 2 && erasure.counts["exports_deleted"] == 1)
            try await client.execute(uri: "/v1/privacy/requests/\(export.id)/export", method: .get, headers: bearer(privacy)) { response in
                #expect(response.status == .conflict)
                #expect(response.errorCode == "export-unavailable")
            }
            try await client.execute(uri: "/v1/privacy/requests/\(erasure.id)/export", method: .get, headers: bearer(privacy)) { response in
                #expect(response.status == .conflict)
            }
            let left = try await database.superuserRows("SELECT count(*)::text FROM \(tenant.schema).identities")
            #expect(left == [["2"]])  // eve's
            try await client.execute(uri: "/v1/privacy/requests?status=completed", method: .get, headers: bearer(privacy)) { response in
                #expect(response.text.contains(erasure.id) && response.text.contains(export.id))
                #expect(!response.text.contains("dee@example.com"))
            }
            try await client.execute(uri: "/v1/privacy/audit", method: .get, headers: bearer(privacy)) { response in
                #expect(response.status == .ok)
                for action in ["privacy.export.requested", "privacy.export.completed", "privacy.export.downloaded",
                               "privacy.erasure.requested", "privacy.erasure.completed"] {
                    #expect(response.text.contains(action), "\(action)")
                }
                #expect(!response.text.contains("dee@example.com") && !response.text.contains("Deirdre"))
                #expect(response.text.contains(#""actor":"key:"#))
            }
        }
    }
}
