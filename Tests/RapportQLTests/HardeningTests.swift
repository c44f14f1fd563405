import Testing
@testable import RapportQL

/// Queries an adversarial review found that the checker accepted and PostgreSQL then refused
/// (or that crashed the process): each is now a diagnostic, or SQL that runs.
@Suite struct HardeningTests {
    func codes(_ text: String) -> [String] {
        RQL.check(text, catalog: Fixtures.catalog).diagnostics.map(\.code)
    }

    func sql(_ text: String) -> CompiledQuery? {
        let compilation = RQL.compile(text, catalog: Fixtures.catalog)
        if case .query(let query)? = compilation.statements.last { return query }
        return nil
    }

    @Test func deepOrLongExpressionsAreRefusedNotFollowedIntoTheStack() {
        let parens = String(repeating: "(", count: 1000) + "true" + String(repeating: ")", count: 1000)
        #expect(codes("profiles | where \(parens) | count") == ["too-deep"])
        let chain = (1...2000).map { "id = \($0)" }.joined(separator: " or ")
        #expect(codes("profiles | where \(chain)") == ["too-deep"])
        #expect(codes("profiles | where " + String(repeating: "not ", count: 900) + "true") == ["too-deep"])
        #expect(codes("profiles | select x = " + (1...2000).map(String.init).joined(separator: " + ")) == ["too-deep"])
        let list = (1...1001).map { "\"p\($0)\"" }.joined(separator: ", ")
        #expect(codes("count profiles where plan in (\(list))") == ["too-many-values"])
        // Ordinary sizes still pass.
        #expect(codes("profiles | where " + (1...150).map { "id = \($0)" }.joined(separator: " or ")).isEmpty)
    }

    @Test func constantsAndNullsThatSQLCannotType() {
        #expect(codes("profiles | group by true") == ["constant-key"])
        #expect(codes("profiles | order by null | limit 1") == ["constant-key"])
        #expect(codes("profiles | group by plan select s = sum(null)") == ["type-mismatch"])
        #expect(codes("profiles | select a = null | where a + 1 > 0") == ["type-mismatch"])
        #expect(codes("profiles | select x = null - now") == ["type-mismatch"])
        #expect(codes("profiles | group by plan select x = count() + id") == ["not-an-aggregate"])
        #expect(codes("profiles | group by plan select m = max(newsletter)") == ["type-mismatch"])
        #expect(codes("profiles | select m = max(purchase.amount), b = min(purchase.currency)").isEmpty)
        // A null compared with a typed value takes its type.
        #expect(sql("count profiles where plan = null")?.sql.contains("NULL::text") == true)
        // `order by` then `group by` groups the ordered rows: a level of its own.
        #expect(codes("profiles | order by created_at desc | group by plan").isEmpty)
    }

    @Test(arguments: ["\\\\Qa\\\\E", "\\\\z", "\\\\x{41}", "a*+", "a{256}", "((a{1,100}){1,100}){1,100}", "\\\\b", "(?<n>a)", "[z-a]", "a**", "(", "*a"])
    func regularExpressionsOutsideTheSubsetAreRefused(_ pattern: String) {
        #expect(codes("count profiles where email matches \"\(pattern)\"") == ["bad-pattern"])
    }

    @Test(arguments: ["^u-00[0-4][0-9]$", "(?:ab)+|c{2,3}?", "[[:alpha:]_-]+@", "\\\\d{3}\\\\.\\\\s*x", "^$", "[^]a]"])
    func ordinaryRegularExpressionsPass(_ pattern: String) {
        #expect(codes("count profiles where email matches \"\(pattern)\"").isEmpty)
    }

    @Test func timesAndDurationsStayInPostgreSQLsRange() {
        #expect(codes("count profiles where created_at > 0000-01-01") == ["bad-time"])
        #expect(sql("count profiles where created_at > 0099-06-01")?.binds.contains(.timestamp("0099-06-01T00:00:00Z")) == true)
        #expect(codes("count profiles where did purchase within 1000000 years") == ["bad-duration"])
        #expect(codes("count profiles where created_at > now - 99999999999999 days") == ["bad-duration"])
        #expect(codes("count profiles where id > 1" + String(repeating: "0", count: 200) + "%") == ["bad-number"])
    }

    @Test func repeatedColumnNamesStayDistinct() {
        let names = sql("profiles | select email, email, email_2 = id")?.columns.map(\.name)
        #expect(names == ["email", "email_3", "email_2"])
    }

    @Test func insideAnEventsWhereBareNamesAreItsProperties() {
        // `currency` is a property; `source` and `ts` are the event's own fields.
        let query = sql("count profiles where count(purchase where currency = \"EUR\" and source = \"seed\" and ts > 2024-01-01) > 0")
        #expect(query?.sql.contains("e.props -> ") == true)
        #expect(query?.sql.contains("e.source = ") == true)
    }
}
