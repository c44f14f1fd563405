import Testing
@testable import RapportQL

/// Scripts a hostile tenant sent to take the server down (issue 14): each now answers with a
/// bounded list of bounded diagnostics, and every limit of `RQL.Limits` names itself.
@Suite struct LimitsTests {
    func check(_ text: String) -> [Diagnostic] {
        RQL.check(text, catalog: Fixtures.catalog).diagnostics
    }

    /// Every rendering of `text`'s diagnostics, as the HTTP answer and the REPL show them.
    func rendered(_ text: String) -> [String] {
        let source = SourceText(text)
        return check(text).map { DiagnosticRenderer.render($0, in: source) }
    }

    @Test(arguments: [
        String(repeating: "@ ", count: 49_000),
        "describe " + String(repeating: "(", count: 40_000),
        String(repeating: "x;", count: 49_000),
        String(repeating: "profiles | ", count: 9_000) + "count",
        String(repeating: "é\u{301}", count: 20_000) + " @",
        "profiles | where " + String(repeating: "\u{301}", count: 30_000) + " = 1",
        "profiles | select `" + String(repeating: "a", count: 99_000) + "`",
    ])
    func hostileScriptsGetABoundedAnswer(_ text: String) {
        let diagnostics = check(text)
        #expect(!diagnostics.isEmpty)
        #expect(diagnostics.count <= RQL.maxDiagnostics + 1)
        let renderings = rendered(text)
        #expect(renderings.allSatisfy { $0.utf8.count <= DiagnosticRenderer.maxRenderedBytes })
        #expect(diagnostics.allSatisfy { $0.message.utf8.count <= Diagnostic.maxMessageBytes && ($0.hint?.utf8.count ?? 0) <= Diagnostic.maxMessageBytes })
        // 51 renderings of at most 2 kB: the answer is bounded whatever the query's size.
        #expect(renderings.reduce(0) { $0 + $1.utf8.count } <= (RQL.maxDiagnostics + 1) * DiagnosticRenderer.maxRenderedBytes)
    }

    @Test func aStringOfEscapedQuotesIsOneBind() {
        let quotes = String(repeating: "\\\"", count: 2_400)
        let compilation = RQL.compile("count profiles where email = \"\(quotes)\"", catalog: Fixtures.catalog)
        guard case .query(let query)? = compilation.statements.first else {
            Issue.record("no query: \(compilation.diagnostics)")
            return
        }
        #expect(query.binds.contains(.text(String(repeating: "\"", count: 2_400))))
        #expect(query.sql.utf8.count < 2_000)
        // Unclosed, it is one diagnostic of bounded size.
        let unclosed = rendered("count profiles where email = \"\(quotes)")
        #expect(unclosed.count == 1 && unclosed[0].utf8.count <= DiagnosticRenderer.maxRenderedBytes)
    }

    @Test func pastFiftyProblemsOneDiagnosticCountsTheRest() {
        let diagnostics = check(String(repeating: "@ ", count: 4_000))
        #expect(diagnostics.count == 51)
        #expect(diagnostics.prefix(50).allSatisfy { $0.code == "unexpected-character" })
        #expect(diagnostics.last?.code == "too-many-problems")
        #expect(diagnostics.last?.message == "3,950 more problems not shown")
    }

    @Test func eachLimitIsADiagnosticNamingIt() {
        let statements = Array(repeating: "count profiles", count: 101).joined(separator: "; ")
        #expect(check(statements).map(\.code) == ["too-many-statements"])
        #expect(check(Array(repeating: "count profiles", count: 100).joined(separator: "; ")).isEmpty)

        let columns = (1...201).map { "c\($0) = id" }.joined(separator: ", ")
        #expect(check("profiles | select \(columns)").map(\.code) == ["too-many-columns"])
        #expect(check("profiles | select " + (1...200).map { "c\($0) = id" }.joined(separator: ", ")).isEmpty)
        let keys = (1...150).map { _ in "plan" }.joined(separator: ", ")
        let aggregates = (1...51).map { "n\($0) = count()" }.joined(separator: ", ")
        #expect(check("profiles | group by \(keys) select \(aggregates)").map(\.code) == ["too-many-columns"])
        #expect(check("profiles | order by " + (1...201).map { _ in "id" }.joined(separator: ", ")).map(\.code) == ["too-many-columns"])

        #expect(check(String(repeating: "profiles", count: 1) + String(repeating: " | where true", count: 51)).map(\.code) == ["too-many-stages"])
        #expect(check("profiles" + String(repeating: " | where true", count: 50)).isEmpty)

        let long = String(repeating: "a", count: RQL.Limits.stringBytes + 1)
        #expect(check("count profiles where email = \"\(long)\"").map(\.code) == ["too-long"])
        #expect(check("count profiles where email = \"\(long.dropLast())\"").isEmpty)
        #expect(check("count profiles where `\(String(repeating: "n", count: RQL.Limits.nameBytes + 1))` = 1").map(\.code).first == "too-long")
    }

    /// A metric of a metric used twice, used twice, … doubled the SQL at every level: 30 levels
    /// of 1 kB of text made 28 GB of SQL (a review found it). Uses are counted, not the text.
    @Test func savedDefinitionsUsedInsideEachOtherAreBounded() {
        var metrics = ["metric m0 = 1"]
        for level in 1...30 { metrics.append("metric m\(level) = m\(level - 1) + m\(level - 1)") }
        let diagnostics = check((metrics + ["profiles | select x = m30"]).joined(separator: ";\n"))
        #expect(diagnostics.first?.code == "too-complex")
        var segments = ["segment s0 = profiles | where created_at > 2020-01-01"]
        for level in 1...30 { segments.append("segment s\(level) = profiles | where in s\(level - 1) or in s\(level - 1)") }
        #expect(check((segments + ["count segment s30"]).joined(separator: ";\n")).first?.code == "too-complex")
        // A few levels compile, to SQL of bounded size.
        let few = RQL.compile((metrics.prefix(9) + ["profiles | select x = m8"]).joined(separator: ";\n"), catalog: Fixtures.catalog)
        #expect(few.diagnostics.isEmpty)
        guard case .query(let query)? = few.statements.last else {
            Issue.record("no query")
            return
        }
        #expect(query.sql.utf8.count < 100_000)
    }

    @Test func suggestionsAreNotSoughtForLongNames() {
        let long = String(repeating: "q", count: 900)
        #expect(EditDistance.closest(to: long, among: [long + "x"]) == nil)
        #expect(EditDistance.closest(to: "contry", among: ["country", String(repeating: "c", count: 500)]) == "country")
    }

    @Test func aLongLineIsShownAsAnExcerptAroundTheCaret() {
        let text = "profiles | where " + (1...60).map { "id = \($0)" }.joined(separator: " or ") + " or contry = \"DE\""
        let start = text.utf8.count - "contry = \"DE\"".utf8.count
        let diagnostic = Diagnostic(code: "unknown-field", message: "unknown field `contry`", range: SourceRange(start, start + 6))
        let lines = DiagnosticRenderer.render(diagnostic, in: SourceText(text)).split(separator: "\n", omittingEmptySubsequences: false)
        let excerpt = lines[3], carets = lines[4]
        #expect(excerpt.hasPrefix(" 1 | …"))
        #expect(excerpt.count <= DiagnosticRenderer.excerptCharacters + 8)
        // The carets stand under `contry`, in the excerpt's own columns.
        let column = carets.distance(from: carets.startIndex, to: carets.firstIndex(of: "^")!)
        let shown = Array(excerpt)
        #expect(String(shown[column..<(column + 6)]) == "contry")
        #expect(carets.filter { $0 == "^" }.count == 6)
    }

    @Test func reportsAreCompiledWithTheRowLimit() {
        let compilation = RQL.compile("show retention by week since 2024-01-01", catalog: Fixtures.catalog,
                                      options: SQLCompiler.Options(rowLimit: 10_001))
        guard case .query(let query)? = compilation.statements.first else {
            Issue.record("no query: \(compilation.diagnostics)")
            return
        }
        #expect(query.sql.hasSuffix("\nLIMIT 10001"))
    }
}
