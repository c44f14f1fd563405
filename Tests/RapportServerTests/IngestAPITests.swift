import CompressNIO
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import RapportStore
import RapportTestSupport
import Testing

@Suite(.enabled(if: TestDatabase.isConfigured, "needs scripts/test's PostgreSQL"))
struct IngestAPITests {
    /// A tenant with an ingest key (source `web`) and a query key.
    func tenant(_ store: Store) async throws -> (tenant: Tenant, ingest: String, query: String) {
        let slug = uniqueSlug("ing")
        let tenant = try await store.createTenant(slug: slug, name: nil, actor: "test")
        let ingest = try await store.createKey(tenant: slug, scopes: [.ingest], source: "web", name: nil, actor: "test").key
        let query = try await store.createKey(tenant: slug, scopes: [.query], source: nil, name: nil, actor: "test").key
        return (tenant, ingest, query)
    }

    @Test func everyMessageTypeIsAcceptedAndResolved() async throws {
        try await withTestApp { client, store, database in
            let (tenant, key, _) = try await tenant(store)
            let calls: [(String, String)] = [
                ("identify", #"{"userId":"u1","anonymousId":"d1","traits":{"email":"Ann@Example.com","plan":"pro"}}"#),
                ("track", #"{"anonymousId":"d1","event":"Order Completed","properties":{"revenue":42.5}}"#),
                ("page", #"{"anonymousId":"d2","name":"Home"}"#),
                ("screen", #"{"userId":"u1","name":"Settings"}"#),
                ("group", #"{"userId":"u1","groupId":"acme-inc","traits":{"industry":"retail"}}"#),
                ("alias", #"{"userId":"u1","previousId":"d2"}"#),
            ]
            for (path, body) in calls {
                try await client.execute(uri: "/v1/\(path)", method: .post, headers: basic(key), body: ByteBuffer(string: body)) { response throws in
                    #expect(response.status == .ok, "\(path): \(response.text)")
                    #expect(response.text == #"{"success":true}"# + "\n")
                }
            }
            // One person: user u1, email, devices d1 and d2 (d2 through the alias).
            let live = try await database.superuserRows("SELECT id::text FROM \(tenant.schema).profiles WHERE merged_into IS NULL")
            #expect(live.count == 1)
            let identities = try await database.superuserRows(
                "SELECT kind || ':' || value FROM \(tenant.schema).identities WHERE profile_id = \(live[0][0]!) ORDER BY 1")
            #expect(identities.compactMap { $0[0] } == ["anonymous_id:d1", "anonymous_id:d2", "email:ann@example.com", "user_id:u1"])
            let events = try await database.superuserRows(
                "SELECT type, coalesce(name, ''), source FROM \(tenant.schema).events WHERE profile_id = \(live[0][0]!) ORDER BY ts")
            #expect(events.map { $0[0]! } == ["identify", "track", "page", "screen", "group", "alias"])
            #expect(events.allSatisfy { $0[2] == "web" })
            let traits = try await database.superuserRows("SELECT traits->>'plan', trait_sources->'plan'->>'source' FROM \(tenant.schema).profiles WHERE id = \(live[0][0]!)")
            #expect(traits == [["pro", "web"]])
            let members = try await database.superuserRows("SELECT group_id FROM \(tenant.schema).group_members")
            #expect(members == [["acme-inc"]])
            let catalogue = try await database.superuserRows("SELECT kind || ' ' || name || ' ' || type FROM \(tenant.schema).catalogue ORDER BY 1")
            #expect(catalogue.compactMap { $0[0] }.contains("property Order Completed.revenue number"))
            #expect(catalogue.compactMap { $0[0] }.contains("trait plan text"))
        }
    }

    @Test func replayedBatchesAreAcknowledgedAndNotStoredTwice() async throws {
        try await withTestApp { client, store, database in
            let (tenant, key, _) = try await tenant(store)
            let batch = #"{"batch":[{"type":"track","userId":"u","event":"a","messageId":"m1"},{"type":"track","userId":"u","event":"b","messageId":"m2"},{"type":"track","userId":"u","event":"b","messageId":"m2"}]}"#
            for _ in 0..<3 {
                try await client.execute(uri: "/v1/batch", method: .post, headers: bearer(key), body: ByteBuffer(string: batch)) { response throws in
                    #expect(response.status == .ok)
                }
            }
            #expect(try await database.superuserRows("SELECT count(*)::text FROM \(tenant.schema).events") == [["2"]])
            #expect(try await database.superuserRows("SELECT count(*)::text FROM \(tenant.schema).profiles") == [["1"]])
        }
    }

    static let validBatch = #"{"batch":[{"type":"identify","userId":"gz","traits":{"name":"Zoë"}}]}"#

    /// `text` gzipped, with its last `cut` bytes removed and `extra` added.
    static func gzipped(_ text: String, cut: Int, extra: [UInt8] = []) throws -> ByteBuffer {
        var body = ByteBuffer(string: text)
        var packed = try body.compress(with: .gzip())
        var bytes = Array(packed.readableBytesView.dropLast(cut)) + extra
        packed = ByteBuffer(bytes: bytes)
        bytes = []
        return packed
    }

    @Test func gzipAndWriteKeyInTheBody() async throws {
        try await withTestApp { client, store, database in
            let (tenant, key, _) = try await tenant(store)
            var body = ByteBuffer(string: #"{"writeKey":"\#(key)","batch":[{"type":"identify","userId":"z","traits":{"name":"Zoë"}}]}"#)
            let gzipped = try body.compress(with: .gzip())
            try await client.execute(uri: "/v1/batch", method: .post, headers: [.contentEncoding: "gzip"], body: gzipped) { response throws in
                #expect(response.status == .ok, "\(response.text)")
            }
            #expect(try await database.superuserRows("SELECT traits->>'name' FROM \(tenant.schema).profiles") == [["Zoë"]])
        }
    }

    @Test func badRequestsNameTheProblemAndStoreNothing() async throws {
        try await withTestApp { client, store, database in
            let (tenant, key, query) = try await tenant(store)
            let big = String(repeating: "x", count: 33_000)
            let cases: [(String, HTTPFields, ByteBuffer, String, Int?)] = [
                ("/v1/batch", basic(key), ByteBuffer(string: "{not json"), "Malformed JSON at byte 1", nil),
                ("/v1/batch", basic(key), ByteBuffer(string: #"{"batch":[{"type":"track","userId":"u","event":"ok"},{"type":"track","event":"x"}]}"#),
                 "Message 1 of the batch: a message needs a `userId` or an `anonymousId`.", 1),
                ("/v1/track", basic(key), ByteBuffer(string: #"{"event":"x"}"#), "A message needs a `userId` or an `anonymousId`.", nil),
                ("/v1/batch", basic(key), ByteBuffer(string: #"{"batch":[{"type":"identify","userId":"u"},{"type":"identify","userId":"u","traits":{"a":"\#(big)"}}]}"#),
                 "Message 1 of the batch: the message is", 1),
                ("/v1/batch", basic(key), ByteBuffer(string: "{\"batch\":[" + String(repeating: #"{"type":"identify","userId":"u"},"#, count: 20_000) + "]}"),
                 "The body is larger than 512000 bytes (500 KB).", nil),
                ("/v1/batch", [.authorization: basic(key)[.authorization]!, .contentEncoding: "gzip"], ByteBuffer(string: "not gzip"),
                 "The body is not valid gzip", nil),
                ("/v1/batch", [.authorization: basic(key)[.authorization]!, .contentEncoding: "br"], ByteBuffer(string: "{}"),
                 "The content encoding `br` is not supported", nil),
                // Hostile inputs of issue 14, each once accepted.
                ("/v1/batch", [.authorization: basic(key)[.authorization]!, .contentEncoding: "gzip"], try Self.gzipped(Self.validBatch, cut: 6),
                 "The gzip body is cut short", nil),
                ("/v1/batch", [.authorization: basic(key)[.authorization]!, .contentEncoding: "gzip"], try Self.gzipped(Self.validBatch, cut: 0, extra: [0x41]),
                 "The gzip body is cut short or has bytes after its end", nil),
                ("/v1/identify", basic(key), ByteBuffer(bytes: Array(#"{"userId":"collide-"#.utf8) + [0xFF] + Array(#""}"#.utf8)),
                 "Malformed JSON at byte 19: a string is not valid UTF-8", nil),
                ("/v1/identify", basic(key), ByteBuffer(string: #"{"userId":"a\ud800"}"#), "Malformed JSON at byte 12: a lone surrogate", nil),
                ("/v1/identify", basic(key), ByteBuffer(string: #"{"userId":"a\u0000"}"#), "Malformed JSON at byte 12: the NUL character", nil),
                ("/v1/track", basic(key), ByteBuffer(string: #"{"userId":"u","event":"e","timestamp":"2023-02-30T10:00:00Z"}"#),
                 "`timestamp` is not an ISO-8601 date-time", nil),
                ("/v1/track", basic(key), ByteBuffer(string: #"{"userId":"u","event":"e","timestamp":"2024-04-31T23:59:60Z"}"#),
                 "`timestamp` is not an ISO-8601 date-time", nil),
                ("/v1/batch", basic(key), ByteBuffer(string: #"{"batch":[{"type":"track","userId":"u","event":"e","timestamp":"2023-02-29"}]}"#),
                 "Message 0 of the batch: `timestamp` is not an ISO-8601 date-time", 0),
            ]
            for (path, headers, body, message, index) in cases {
                try await client.execute(uri: path, method: .post, headers: headers, body: body) { response throws in
                    #expect(response.status == .badRequest, "\(message)")
                    let error = try response.decode(ErrorBody.self).error
                    #expect(error.code == "invalid-message")
                    #expect(error.message.hasPrefix(message), "\(error.message)")
                    #expect(response.text.contains("\"index\":\(index ?? -1)") == (index != nil))
                }
            }
            try await client.execute(uri: "/v1/track", method: .post, body: ByteBuffer(string: #"{"userId":"u","event":"e"}"#)) { response throws in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/v1/track", method: .post, headers: basic(query), body: ByteBuffer(string: #"{"userId":"u","event":"e"}"#)) { response throws in
                #expect(response.status == .forbidden)
                #expect(response.errorCode == "missing-scope")
            }
            #expect(try await database.superuserRows("SELECT count(*)::text FROM \(tenant.schema).events") == [["0"]])
            #expect(try await database.superuserRows("SELECT count(*)::text FROM \(tenant.schema).profiles") == [["0"]])
        }
    }

    @Test func profilesThroughTheAPI() async throws {
        try await withTestApp { client, store, _ in
            let (tenant, key, query) = try await tenant(store)
            // Two anonymous visitors, then one identify that joins them.
            var batch = (0..<25).map { #"{"type":"track","anonymousId":"d1","event":"view","messageId":"v\#($0)","timestamp":"2024-01-01T00:00:\#(String(format: "%02d", $0))Z"}"# }
            batch.append(#"{"type":"track","anonymousId":"d2","event":"view","messageId":"w","timestamp":"2024-01-02T00:00:00Z"}"#)
            try await client.execute(uri: "/v1/batch", method: .post, headers: basic(key), body: ByteBuffer(string: "{\"batch\":[\(batch.joined(separator: ","))]}")) { _ in }
            let first = try #require(try await store.lookupProfile(kind: "anonymous_id", value: "d1", tenant: tenant))
            let second = try #require(try await store.lookupProfile(kind: "anonymous_id", value: "d2", tenant: tenant))
            #expect(first < second)
            try await client.execute(uri: "/v1/identify", method: .post, headers: basic(key),
                                     body: ByteBuffer(string: #"{"anonymousId":"d2","userId":"u","traits":{"email":"a@x.io"},"timestamp":"2024-01-03T00:00:00Z"}"#)) { _ in }
            try await client.execute(uri: "/v1/identify", method: .post, headers: basic(key),
                                     body: ByteBuffer(string: #"{"anonymousId":"d1","traits":{"email":"a@x.io"},"timestamp":"2024-01-04T00:00:00Z"}"#)) { _ in }

            // The merged-away profile redirects to the survivor, the oldest.
            try await client.execute(uri: "/v1/profiles/\(second)", method: .get, headers: bearer(query)) { response throws in
                #expect(response.status == .permanentRedirect)
                #expect(response.headers[.location] == "/v1/profiles/\(first)")
            }
            try await client.execute(uri: "/v1/profiles/lookup?email=A@X.io", method: .get, headers: bearer(query)) { response throws in
                #expect(response.status == .ok)
                let profile = try JSONDecoder.iso.decode(Profile.self, from: Data(buffer: response.body))
                #expect(profile.id == first)
                #expect(Set(profile.identities.map { "\($0.kind):\($0.value)" }) == ["anonymous_id:d1", "anonymous_id:d2", "user_id:u", "email:a@x.io"])
                #expect(profile.traits["email"]?.source == "web")
            }
            try await client.execute(uri: "/v1/profiles/lookup?phone=12", method: .get, headers: bearer(query)) { response throws in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/v1/profiles/lookup?shoe_size=12", method: .get, headers: bearer(query)) { response throws in
                #expect(response.status == .badRequest)
            }
            // The timeline in pages of 10, newest first, 28 events in all.
            var seen: [String] = []
            var cursor: String?
            repeat {
                let uri = "/v1/profiles/\(first)/events?limit=10" + (cursor.map { "&cursor=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" } ?? "")
                try await client.execute(uri: uri, method: .get, headers: bearer(query)) { response throws in
                    #expect(response.status == .ok)
                    let page = try JSONDecoder.iso.decode(TimelinePage.self, from: Data(buffer: response.body))
                    seen += page.events.map(\.messageID)
                    cursor = page.nextCursor
                }
            } while cursor != nil
            #expect(seen.count == 28)
            #expect(Set(seen).count == 28)
            #expect(seen.last == "v0")
            // The graph says which message brought each identifier and which merge joined the profiles.
            try await client.execute(uri: "/v1/profiles/\(first)/graph", method: .get, headers: bearer(query)) { response throws in
                let graph = try JSONDecoder.iso.decode(IdentityGraph.self, from: Data(buffer: response.body))
                #expect(graph.members == [first, second])
                #expect(graph.merges.count == 1)
                #expect(graph.merges[0].kind == "anonymous_id" && graph.merges[0].value == "d1")
                #expect(graph.identities.first { $0.value == "d2" }?.originProfileID == second)
            }
        }
    }
}

extension JSONDecoder {
    static var iso: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
