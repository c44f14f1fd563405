import Foundation
import RapportQL
import RapportTestSupport
import Testing
@testable import RapportStore

/// For 1,000 generated predicates p on the seeded tenant, SQL's three-valued logic must hold
/// exactly: count(Q) = count(Q where p) + count(Q where not p) + count(Q where (p) is null).
/// A compiler bug that turns a null into false (or drops rows in a join) breaks the sum.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs scripts/test's PostgreSQL"))
struct QueryMetamorphicTests {
    /// Random predicates over the seed's catalogue.
    struct PredicateGenerator {
        var rng: SplitMix

        mutating func pick<T>(_ items: [T]) -> T { items[Int(rng.next() % UInt64(items.count))] }
        mutating func number(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(rng.next() % UInt64(range.count)) }

        mutating func profileAtom() -> String {
            switch number(0...21) {
            case 0: return "plan = \(pick(["\"pro\"", "\"free\"", "\"team\"", "\"enterprise\""]))"
            case 1: return "country in (\(pick(["\"DE\", \"FR\"", "\"US\"", "\"GB\", \"JP\", \"BR\""])))"
            case 2: return "age \(pick([">", "<", ">=", "<=", "=", "!="])) \(number(18...70))"
            case 3: return "seats \(pick([">", "<="])) \(number(1...50))"
            case 4: return "newsletter = \(pick(["true", "false"]))"
            case 5: return "`first name` \(pick(["starts with \"A\"", "contains \"a\"", "matches \"^[A-M]\"", "is null"]))"
            case 6: return "\(pick(["plan", "country", "age", "newsletter", "email", "phone", "user_id"])) is \(pick(["", "not "]))null"
            case 7: return "email \(pick(["contains \"example\"", "starts with \"a\"", "matches \"[0-9]\"", "= \"nobody@example.com\"", "!= \"x@y.z\""]))"
            case 8: return "count(purchase) \(pick([">=", "<", "="])) \(number(0...4))"
            case 9: return "sum(purchase.amount within \(number(1...365)) days) > \(number(0...300))"
            case 10: return "avg(nps.score) \(pick([">=", "<"])) \(number(0...10))"
            case 11: return "\(pick(["", "not "]))did \(pick(["login", "signup", "purchase", "referral", "page", "any", "`Order Completed`"])) within \(number(1...400))d"
            case 12: return "first(signup).ts < 2024-\(pick(["01", "03", "06", "09", "12"]))-01"
            case 13: return "last(any).ts > now - \(number(1...300)) days"
            case 14: return "max(purchase.amount where currency = \"\(pick(["EUR", "USD", "GBP"]))\") > \(number(0...200))"
            case 15: return "count(page) > \(number(0...6))"
            case 16: return "created_at < now - \(number(0...100)) days"
            case 17: return "first_seen \(pick(["<", ">"])) 2024-\(pick(["02", "05", "08", "11"]))-15"
            case 18: return "min(purchase.amount between 2024-01-01 and 2024-\(pick(["06-30", "09-30", "12-31"]))) < \(number(5...200))"
            case 19: return "last(purchase).currency = \"\(pick(["EUR", "USD"]))\""
            case 20: return "age / seats > \(number(0...10))"
            default: return "count(nps where score >= \(number(0...10))) \(pick([">", "="])) \(number(0...2))"
            }
        }

        mutating func eventAtom() -> String {
            switch number(0...8) {
            case 0: return "name = \(pick(["\"purchase\"", "\"login\"", "\"signup\"", "\"Order Completed\""]))"
            case 1: return "type \(pick(["=", "!="])) \(pick(["\"track\"", "\"page\"", "\"identify\""]))"
            case 2: return "ts within \(number(1...400)) days"
            case 3: return "props.amount \(pick([">", "<=", "="])) \(number(0...200))"
            case 4: return "props.currency in (\"EUR\", \"USD\")"
            case 5: return "context.locale \(pick(["= \"de-DE\"", "starts with \"en\"", "is null"]))"
            case 6: return "ts \(pick(["<", ">="])) 2024-\(pick(["03", "07", "10"]))-01"
            case 7: return "props.score >= \(number(0...10))"
            default: return "source \(pick(["= \"seed\"", "is not null"]))"
            }
        }

        mutating func predicate(depth: Int, atom: (inout PredicateGenerator) -> String) -> String {
            guard depth > 0, number(0...2) > 0 else { return atom(&self) }
            switch number(0...2) {
            case 0: return "(\(predicate(depth: depth - 1, atom: atom)) and \(predicate(depth: depth - 1, atom: atom)))"
            case 1: return "(\(predicate(depth: depth - 1, atom: atom)) or \(predicate(depth: depth - 1, atom: atom)))"
            default: return "not (\(predicate(depth: depth - 1, atom: atom)))"
            }
        }
    }

    @Test func threeValuedLogicHoldsForAThousandPredicates() async throws {
        try await withTestStore { store, _ in
            let tenant = try await QuerySeed.seed(store)
            var generator = PredicateGenerator(rng: SplitMix(seed: 7))
            let options = QueryOptions(now: QuerySeed.now)
            var checked = 0, nonTrivial = 0
            for batch in 0..<40 {
                var script: [String] = []
                var cases: [(String, String)] = []
                for _ in 0..<25 {
                    let onEvents = batch % 5 == 4
                    let base = onEvents ? "events" : generator.pick(["profiles", "profiles | where did purchase", "profiles | where plan is not null"])
                    let p = onEvents ? generator.predicate(depth: 3) { $0.eventAtom() } : generator.predicate(depth: 3) { $0.profileAtom() }
                    cases.append((base, p))
                    script += ["\(base) | count", "\(base) | where \(p) | count", "\(base) | where not (\(p)) | count",
                               "\(base) | where (\(p)) is null | count"]
                }
                let results: [QueryResult]
                do {
                    results = try await store.query(script.joined(separator: ";\n"), tenant: tenant, options: options)
                } catch {
                    Issue.record("batch \(batch) failed: \(error)\n\(script.joined(separator: ";\n"))")
                    continue
                }
                for (index, (base, p)) in cases.enumerated() {
                    let counts = results[index * 4..<index * 4 + 4].map { result -> Decimal in
                        result.rows.first?.first?.decimal ?? -1
                    }
                    #expect(counts[0] == counts[1] + counts[2] + counts[3], "\(base) | where \(p): \(counts)")
                    checked += 1
                    if counts[1] > 0 && counts[2] + counts[3] > 0 { nonTrivial += 1 }
                }
            }
            #expect(checked == 1000)
            // The generator must split the rows for most predicates, or the test proves little.
            #expect(nonTrivial > 500, "only \(nonTrivial) predicates split the rows")
        }
    }

    /// A first level of profiles ordered by their aggregates alone, with a limit, is written as the
    /// top of those with events and of those without (`SQLWriter.topByPass`). Its rows must be
    /// the same slice of the whole order as the same order taken at a second level, which is
    /// written plainly: for keys that are null, zero, negative or tied without events, both ways
    /// round, with conditions that read the profile, the aggregates, or both, and with offsets.
    @Test func aTopByAggregatesIsTheSliceOfTheWholeOrder() async throws {
        try await withTestStore { store, _ in
            let tenant = try await QuerySeed.seed(store)
            let options = QueryOptions(now: QuerySeed.now)
            let keys = ["count(purchase)", "sum(purchase.amount) - sum(refund.amount)", "avg(nps.score)", "last(login).ts",
                        "count(purchase within 90 days)", "clv", "first_order"]
            let filters = ["", " | where plan = \"pro\"", " | where count(page) > 1 or plan is null"]
            var script: [String] = []
            for key in keys {
                for filter in filters {
                    for direction in ["", " desc"] {
                        for (limit, offset) in [(1, 0), (5, 0), (7, 3), (40, 25), (1000, 0)] {
                            let base = "profiles\(filter) | select id, k = \(key)"
                            script.append("\(base) | order by k\(direction) | limit \(limit) offset \(offset)")
                            script.append("\(base) | select id, k | order by k\(direction) | limit \(limit) offset \(offset)")
                        }
                    }
                }
            }
            var results: [QueryResult] = []
            for start in stride(from: 0, to: script.count, by: 100) {
                let part = script[start..<min(start + 100, script.count)]
                results += try await store.query(part.joined(separator: ";\n"), tenant: tenant, options: options)
            }
            #expect(results.count == script.count)
            var withoutEvents = 0, withEvents = 0
            for index in stride(from: 0, to: min(results.count, script.count), by: 2) {
                #expect(results[index].rows == results[index + 1].rows, "\(script[index])")
                for row in results[index].rows {
                    if row[1] == .null || row[1] == .number("0") { withoutEvents += 1 } else { withEvents += 1 }
                }
            }
            // Both parts must have given rows, or the test proves little.
            #expect(withoutEvents > 100 && withEvents > 100, "\(withoutEvents) rows without events, \(withEvents) with")
        }
    }
}
