import Foundation
import RapportQL
import RapportTestSupport
import Testing
@testable import RapportStore

/// Hostile text in every place a user can write a literal or a name ends up only in binds,
/// or as a diagnostic: never in SQL text, never as an SQL error, never reaching a table
/// outside the tenant's own.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs scripts/test's PostgreSQL"))
struct QueryInjectionTests {
    static let hostile = [
        "x' OR '1'='1", "\"; DROP TABLE profiles; --", "$1", "$$ || $$", "-- comment", "/* c */", "a\\\"b",
        "t_other.profiles", "rapport.api_keys", "日本語 🚀", "\u{0}", "' ; SELECT pg_sleep(10); --", "e\u{301}", "`",
    ]

    /// RQL text for `value` as a string literal.
    static func literal(_ value: String) -> String {
        "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// RQL text for `value` as a backticked name (a backtick cannot be in one: that is a diagnostic).
    static func name(_ value: String) -> String { "`" + value + "`" }

    static func queries(_ value: String) -> [String] {
        let s = literal(value), n = name(value)
        return [
            "count profiles where plan = \(s)",
            "count profiles where country in (\(s), \(s))",
            "count profiles where email = \(s) or phone = \(s) or user_id != \(s)",
            "count profiles where `first name` contains \(s) or plan starts with \(s)",
            "count profiles where did purchase where currency = \(s)",
            "events | where name = \(s) or props.currency = \(s) or context.locale = \(s) | count",
            "events | where context.\(n) = \"x\" | count",
            "count profiles where \(n) = \"x\"",
            "count profiles where did \(n)",
            "count profiles where sum(purchase.\(n)) > 1",
            "count segment \(n)",
            "profiles | select \(n) = plan | limit 1",
            "count profiles where in \(n)",
        ]
    }

    @Test func hostileTextNeverReachesSQLText() async throws {
        let catalog = CatalogSnapshot(entries: [
            .init(kind: "trait", name: "plan", type: "text"), .init(kind: "trait", name: "country", type: "text"),
            .init(kind: "trait", name: "first name", type: "text"), .init(kind: "event", name: "purchase", type: "event"),
            .init(kind: "property", name: "purchase.currency", type: "text"), .init(kind: "property", name: "purchase.amount", type: "number"),
        ], identityKinds: [IdentityKindInfo(name: "email", normalization: "email"), IdentityKindInfo(name: "phone", normalization: "none"),
                           IdentityKindInfo(name: "user_id", normalization: "none")])
        var compiled = 0
        for value in Self.hostile {
            for query in Self.queries(value) {
                let compilation = RQL.compile(query, catalog: catalog)
                for case .query(let sql) in compilation.statements {
                    compiled += 1
                    if value.count > 2 { #expect(!sql.sql.contains(value), "\(query) put its literal into SQL") }
                    // Only the tenant's own tables, always by these fixed names.
                    let tables = Set(sql.sql.matches(of: /(?:FROM|JOIN) ([a-z_.]+)/).map { String($0.output.1) })
                    #expect(tables.isSubset(of: ["profiles", "events", "identities"]), "\(tables)")
                }
            }
        }
        #expect(compiled > 50)
    }

    @Test func hostileTextRunsAsDataOrFailsAsADiagnostic() async throws {
        try await withTestStore { store, _ in
            let tenant = try await QuerySeed.seed(store)
            let other = try await store.createTenant(slug: uniqueSlug("other"), name: nil, actor: "test")
            // Names that are themselves hostile, in the catalogue through ingestion.
            let messages = Self.hostile.filter { !$0.contains("\u{0}") }.enumerated().map { index, value in
                IngestMessage.testTrack(event: value, properties: [value: "1"], traits: [value: "v"], user: "hostile-\(index)")
            }.flatMap { $0 }
            _ = try await store.ingest(messages, tenant: tenant)
            for value in Self.hostile {
                for query in Self.queries(value) {
                    do {
                        let results = try await store.query(query, tenant: tenant)
                        #expect(results.count == 1)
                    } catch let error as QueryError {
                        guard case .diagnostics = error else {
                            Issue.record("`\(query)`: \(error)")
                            continue
                        }
                    } catch {
                        Issue.record("`\(query)` reached PostgreSQL as an error: \(String(reflecting: error))")
                    }
                }
            }
            // The hostile event and trait are found by their names, as data.
            let named = try await store.query("count profiles where did \(Self.name("x' OR '1'='1")) and \(Self.name("x' OR '1'='1")) = \"v\"", tenant: tenant)
            #expect(named.first?.rows.first?.first == .number("1"))
            // Nothing leaked into or out of the other tenant.
            let untouched = try await store.query("count profiles", tenant: other)
            #expect(untouched.first?.rows.first?.first == .number("0"))
            let tables = try await store.withTenant(tenant, readOnly: true) { connection in
                try await connection.query("SELECT count(*) FROM profiles", logger: store.logger).collect().count
            }
            #expect(tables == 1)
        }
    }
}

extension IngestMessage {
    /// An identify with `traits` and a track of `event` with `properties`, for user `user`.
    static func testTrack(event: String, properties: [String: String], traits: [String: String], user: String) -> [IngestMessage] {
        func json(_ object: [String: Any]) -> [UInt8] { Array(try! JSONSerialization.data(withJSONObject: object)) }
        let identify = try! MessageReader.line(json(["type": "identify", "userId": user, "traits": traits, "messageId": UUID().uuidString]), receivedAt: Timestamp.now())
        let track = try! MessageReader.line(json(["type": "track", "userId": user, "event": event, "properties": properties, "messageId": UUID().uuidString]), receivedAt: Timestamp.now())
        return [identify, track]
    }
}
