import Foundation
import RapportQL
import RapportTestSupport
import Testing
@testable import RapportStore

/// Names in the catalogue are told apart as the database tells them apart, byte for byte:
/// "é" composed and "é" decomposed are two event, trait and property names (Swift's string
/// equality would make them one, so that the second spelling was never catalogued and a
/// question naming a spelling never sent was taken for the other and answered 0).
@Suite struct CatalogueNamesTests {
    static let composed = "Caf\u{e9}", decomposed = "Cafe\u{301}"

    static func message(_ n: Int, _ body: String) -> String {
        "{\(body), \"userId\": \"cn\(n)\", \"messageId\": \"cn-\(n)\", \"timestamp\": \"2024-05-01T10:00:00Z\"}"
    }

    @Test(.enabled(if: TestDatabase.isConfigured, "needs scripts/test's PostgreSQL"))
    func namesAreCataloguedByteForByte() async throws {
        try await withTestStore { store, _ in
            let tenant = try await store.createTenant(slug: uniqueSlug("cn"), name: nil, actor: "test")
            try await SummaryTests.ingest([
                Self.message(1, "\"type\": \"track\", \"event\": \"Caf\\u00e9\", \"properties\": {\"tip\": 1}"),
                Self.message(2, "\"type\": \"identify\", \"traits\": {\"r\\u00e9gion\": \"north\"}"),
            ], store, tenant)
            let before = try await store.catalog(tenant: tenant)
            #expect(before.hasEvent(Self.composed))
            #expect(!before.hasEvent(Self.decomposed), "a spelling never sent is not in the catalogue")
            let problems = try await store.validate("profiles | select n = count(`\(Self.decomposed)`)", tenant: tenant)
            #expect(problems.map(\.code) == ["unknown-event"], "\(problems.map(\.message))")

            // The other spellings, in a later batch (after the first is cached as recorded).
            try await SummaryTests.ingest([
                Self.message(3, "\"type\": \"track\", \"event\": \"Cafe\\u0301\", \"properties\": {\"tip\": \"big\"}"),
                Self.message(4, "\"type\": \"identify\", \"traits\": {\"re\\u0301gion\": 5}"),
            ], store, tenant)
            let after = try await store.catalog(tenant: tenant)
            let events = after.eventNames.filter { $0 == Self.composed }
            #expect(events.count == 2 && events.contains { $0.sameBytes(as: Self.decomposed) }, "both spellings: \(events.map { Array($0.utf8) })")
            #expect(after.traitType("r\u{e9}gion") == .text)
            #expect(after.traitType("re\u{301}gion") == .number)
            #expect(after.propertyType(event: Self.composed, name: "tip") == .number)
            #expect(after.propertyType(event: Self.decomposed, name: "tip") == .text)
            // Each spelling counts its own events (the two names are two binds of the SQL).
            for summaries in [true, false] {
                let counts = try await store.query("profiles | select a = count(`\(Self.composed)`), b = count(`\(Self.decomposed)`)",
                                                   tenant: tenant, options: QueryOptions(), summaries: summaries)
                #expect(counts.last?.rows.map { $0.map(\.display) }.sorted { $0.lexicographicallyPrecedes($1) }
                        == [["0", "0"], ["0", "0"], ["0", "1"], ["1", "0"]], "summaries: \(summaries)")
            }
        }
    }
}
