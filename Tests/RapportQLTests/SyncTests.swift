import Foundation
import Testing
@testable import RapportQL

/// `sync NAME to DEST = QUERY [options]` (Grammar/README.md, "Syncs"): what it saves, and
/// the diagnostics of everything it may not hold.
@Suite struct SyncTests {
    static let catalog: CatalogSnapshot = {
        let base = Fixtures.catalog(with: [Definition(kind: .segment, name: "pros", source: "profiles | where plan = \"pro\"")])
        var catalog = base
        catalog.destinationNames = ["crm", "hook"]
        catalog.syncNames = ["existing"]
        return catalog
    }()

    func check(_ text: String) -> (SyncDefinition?, [String]) {
        let (statements, diagnostics) = RQL.check(text, catalog: Self.catalog)
        if case .defineSync(let sync)?? = statements.first { return (sync, diagnostics.map(\.code)) }
        return (nil, diagnostics.map(\.code))
    }

    @Test func theDefaultsAndEachOption() throws {
        let (plain, none) = check("sync vip to crm = segment pros | select email, plan")
        #expect(none.isEmpty)
        let sync = try #require(plain)
        #expect(sync.fields == ["email", "plan"] && sync.every == 3600 && sync.backfill && sync.send == .eventsAndTraits)
        #expect(sync.uses == ["pros"] && sync.query == "segment pros | select email, plan")
        let (options, _) = check("sync vip to crm = profiles | where plan = \"pro\" | order by id | limit 10 every 2 hours no backfill send traits")
        #expect(options?.every == 7200 && options?.backfill == false && options?.send == .traits && options?.fields == [])
        #expect(check("sync vip to crm = profiles manually send events").0?.every == nil)
        #expect(check("sync vip to crm = profiles send events and traits backfill every 1 day").0?.every == 86_400)
        #expect(check("sync vip to crm = profiles | select x = id + 1").0?.fields == ["x"])
        // The statement a saved sync shows says every option.
        #expect(sync.statement == "sync vip to crm = segment pros | select email, plan every 1 hour send events and traits")
    }

    @Test func whatASyncMayNotHold() {
        #expect(check("sync vip to crn = profiles").1 == ["unknown-destination"])
        #expect(check("sync vip to crm = events").1 == ["not-an-audience"])
        #expect(check("sync vip to crm = profiles | group by plan").1 == ["not-an-audience"])
        #expect(check("sync vip to crm = profiles | count").1 == ["not-an-audience"])
        #expect(check("sync vip to crm = profiles every 4 minutes").1 == ["too-often"])
        #expect(check("sync vip to crm = profiles every 5 minutes").1.isEmpty)
        #expect(check("sync vip to crm = profiles manually every 1 hour").1 == ["duplicate-option"])
        #expect(check("sync vip to crm = profiles backfill no backfill").1 == ["duplicate-option"])
        #expect(check("sync vip to crm = profiles send events send traits").1 == ["duplicate-option"])
        #expect(check("sync vip to crm = profiles | select profile_id = id").1 == ["name-taken"])
        #expect(check("sync vip to crm = profiles | select profile_id").1 == ["name-taken"])
        #expect(check("sync `v i p` to crm = profiles").1 == ["bad-name"])
        #expect(check("sync vip to crm = segment nope").1 == ["unknown-segment"])
        #expect(check("sync vip to crm = profiles | where nope = 1").1 == ["unknown-field"])
        #expect(check("sync vip to crm = profiles sometimes").1 == ["expected"])
        #expect(check("sync vip to crm = profiles send everything").1 == ["expected"])
        #expect(check("sync vip crm = profiles").1 == ["expected"])
    }

    @Test func dropShowAndDescribe() {
        #expect(RQL.check("drop sync existing", catalog: Self.catalog).diagnostics.isEmpty)
        #expect(RQL.check("drop sync nope", catalog: Self.catalog).diagnostics.map(\.code) == ["unknown-sync"])
        #expect(RQL.check("show syncs", catalog: Self.catalog).diagnostics.isEmpty)
        #expect(RQL.check("describe existing", catalog: Self.catalog).diagnostics.isEmpty)
    }

    @Test func theAudienceRunsWithTheProfileIDFirst() throws {
        let (query, fields, diagnostics) = RQL.audience("segment pros | select email, seats = 2", catalog: Self.catalog)
        #expect(diagnostics.isEmpty && fields == ["email", "seats"])
        let compiled = try #require(query)
        #expect(compiled.columns.map(\.name) == ["profile_id", "email", "seats"])
        #expect(compiled.columns.map(\.type) == [.number, .text, .number])
        let (bare, none, _) = RQL.audience("profiles | order by last_seen desc | limit 5", catalog: Self.catalog)
        #expect(none.isEmpty && bare?.columns.map(\.name) == ["profile_id"])
        // Two selects: the id goes through both.
        let (twice, names, problems) = RQL.audience("profiles | select e = email | select e", catalog: Self.catalog)
        #expect(problems.isEmpty && names == ["e"] && twice?.columns.map(\.name) == ["profile_id", "e"])
        // A saved audience that no longer checks says why.
        let empty = Fixtures.catalog
        #expect(RQL.audience("segment pros", catalog: empty).diagnostics.map(\.code) == ["unknown-segment"])
        #expect(RQL.audience("profiles |", catalog: empty).query == nil)
    }
}
