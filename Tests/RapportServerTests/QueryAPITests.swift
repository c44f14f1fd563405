import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RapportServer
import RapportStore
import RapportTestSupport
import Testing

/// `/v1/query`, `/v1/query/validate` and `/v1/segments…` over HTTP, on the seeded tenant.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs scripts/test's PostgreSQL"))
struct QueryAPITests {
    struct Answer: Decodable {
        struct Column: Decodable, Equatable { var name: String; var type: String }
        var columns: [Column]
        var rows: [[JSONAny]]
        var truncated: Bool
        var elapsed_ms: Double
        var statements: Int
    }

    /// Any JSON value, compared by its text.
    struct JSONAny: Decodable, Equatable {
        var text: String
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() { text = "null" }
            else if let value = try? container.decode(Bool.self) { text = "\(value)" }
            else if let value = try? container.decode(Decimal.self) { text = "\(value)" }
            else { text = try container.decode(String.self) }
        }
    }

    struct Problems: Decodable {
        struct Inner: Decodable {
            struct Diagnostic: Decodable {
                var code: String
                var message: String
                var hint: String?
                var start: Int
                var end: Int
                var line: Int
                var column: Int
                var rendered: String
            }
            var code: String
            var message: String
            var diagnostics: [Diagnostic]
        }
        var error: Inner
    }

    func setUp(_ store: Store) async throws -> (key: String, ingestKey: String) {
        let tenant = try await QuerySeed.seed(store)
        let key = try await store.createKey(tenant: tenant.slug, scopes: [.query], source: nil, name: nil, actor: "test").key
        let ingest = try await store.createKey(tenant: tenant.slug, scopes: [.ingest], source: nil, name: nil, actor: "test").key
        return (key, ingest)
    }

    func post(_ client: any TestClientProtocol, _ path: String, _ key: String, _ q: String) async throws -> TestResponse {
        var headers = bearer(key)
        headers[.contentType] = "application/json"
        return try await client.execute(uri: path, method: .post, headers: headers, body: json(["q": q]))
    }

    @Test func aQueryAnswersWithTypedColumnsAndRows() async throws {
        try await withTestApp { client, store, _ in
            let (key, _) = try await setUp(store)
            let response = try await post(client, "/v1/query", key, """
                profiles | where did purchase | select id, email, spent = sum(purchase.amount), vip = sum(purchase.amount) > 100
                | order by spent desc | limit 3
                """)
            #expect(response.status == .ok)
            let answer = try response.decode(Answer.self)
            #expect(answer.columns == [.init(name: "id", type: "number"), .init(name: "email", type: "text"),
                                       .init(name: "spent", type: "number"), .init(name: "vip", type: "boolean")])
            #expect(answer.rows.count == 3)
            #expect(answer.statements == 1)
            #expect(answer.truncated == false)
            let spent = answer.rows.compactMap { Decimal(string: $0[2].text) }
            #expect(spent == spent.sorted(by: >))
        }
    }

    /// A funnel saved in one request is a report in the next, with typed columns; a value
    /// report answers the same way.
    @Test func funnelsAndValueReportsAnswerOverHTTP() async throws {
        try await withTestApp { client, store, _ in
            let (key, _) = try await setUp(store)
            let saved = try await post(client, "/v1/query", key, "funnel buy = product_viewed -> added_to_cart within 1 day -> order_completed")
            #expect(saved.status == .ok)
            let funnel = try await post(client, "/v1/query", key, "show funnel buy")
            #expect(funnel.status == .ok)
            let answer = try funnel.decode(Answer.self)
            #expect(answer.columns.map(\.name) == ["step", "event", "optional", "profiles", "from_previous", "from_first", "median_time", "p90_time"])
            #expect(answer.columns.map(\.type) == ["number", "text", "boolean", "number", "number", "number", "duration", "duration"])
            #expect(answer.rows.map { $0[1].text } == ["product_viewed", "added_to_cart", "order_completed"])
            let reached = answer.rows.compactMap { Int($0[3].text) }
            #expect(reached.count == 3 && reached[0] > 0 && reached == reached.sorted(by: >))
            let tiers = try await post(client, "/v1/query", key, "show tiers")
            #expect(try tiers.decode(Answer.self).rows.map { $0[0].text } == ["platinum", "gold", "silver", "bronze", "lead"])
            let wrong = try await post(client, "/v1/query", key, "set value tiers = 50%, 50%, 10%, 10%")
            #expect(wrong.status == .badRequest)
            #expect(try wrong.decode(Problems.self).error.diagnostics.map(\.code) == ["bad-setting"])
        }
    }

    @Test func problemsAre400WithEveryDiagnosticAndItsPosition() async throws {
        try await withTestApp { client, store, _ in
            let (key, _) = try await setUp(store)
            let response = try await post(client, "/v1/query", key, "profiles\n| where contry = \"DE\" and did purchse")
            #expect(response.status == .badRequest)
            let problems = try response.decode(Problems.self)
            #expect(problems.error.code == "invalid-query")
            #expect(problems.error.message == "The query has 2 problems; nothing ran.")
            #expect(problems.error.diagnostics.map(\.code) == ["unknown-field", "unknown-event"])
            let first = try #require(problems.error.diagnostics.first)
            #expect((first.line, first.column, first.start, first.end) == (2, 9, 17, 23))
            #expect(first.hint == "did you mean `country`?")
            #expect(first.rendered == """
                error: unknown field `contry` (did you mean `country`?)
                  --> 2:9
                   |
                 2 | | where contry = "DE" and did purchse
                   |         ^^^^^^
                """)
            let validation = try await post(client, "/v1/query/validate", key, "count profiles where plna = 1")
            #expect(validation.status == .ok)
            #expect(validation.text.contains("\"valid\":false"))
            #expect(validation.text.contains("did you mean `plan`?"))
            let valid = try await post(client, "/v1/query/validate", key, "count profiles where plan = \"pro\"")
            #expect(valid.text.contains("\"valid\":true"))
        }
    }

    @Test func segmentsAreListedCountedAndPaged() async throws {
        try await withTestApp { client, store, _ in
            let (key, ingestKey) = try await setUp(store)
            let saved = try await post(client, "/v1/query", key, "segment buyers = profiles | where did purchase; count segment buyers")
            #expect(saved.status == .ok)
            let count = try #require(Int(try saved.decode(Answer.self).rows.first?.first?.text ?? ""))
            let list = try await client.execute(uri: "/v1/segments", method: .get, headers: bearer(key))
            #expect(list.text.contains("\"name\":\"buyers\""))
            let one = try await client.execute(uri: "/v1/segments/buyers", method: .get, headers: bearer(key))
            #expect(one.text.contains("\"members\":\(count)"))
            var cursor: String?
            var members = 0
            repeat {
                let page = try await client.execute(uri: "/v1/segments/buyers/members?limit=10" + (cursor.map { "&cursor=\($0)" } ?? ""),
                                                    method: .get, headers: bearer(key))
                #expect(page.status == .ok)
                let object = try JSONSerialization.jsonObject(with: Data(buffer: page.body)) as? [String: Any]
                members += (object?["rows"] as? [Any])?.count ?? 0
                cursor = object?["next_cursor"] as? String
            } while cursor != nil
            #expect(members == count)
            let missing = try await client.execute(uri: "/v1/segments/nope/members", method: .get, headers: bearer(key))
            #expect(missing.status == .notFound)
            #expect(missing.errorCode == "segment-not-found")
            let badCursor = try await client.execute(uri: "/v1/segments/buyers/members?cursor=abc", method: .get, headers: bearer(key))
            #expect(badCursor.status == .badRequest)
            // An ingest key may not query.
            let denied = try await post(client, "/v1/query", ingestKey, "count profiles")
            #expect(denied.status == .forbidden)
            let notJSON = try await client.execute(uri: "/v1/query", method: .post, headers: bearer(key), body: ByteBuffer(string: "count profiles"))
            #expect(notJSON.status == .badRequest)
            let inUse = try await post(client, "/v1/query", key, "segment big = segment buyers | where count(purchase) > 2; drop segment buyers")
            #expect(inUse.status == .conflict)
            #expect(inUse.errorCode == "definition-in-use")
        }
    }
}
