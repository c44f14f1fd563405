import Testing
@testable import RapportQL

@Suite struct DiagnosticRendererTests {
    /// The example of LANGUAGE.md, "Errors", to the character.
    @Test func rendersLikeTheLanguageGuide() {
        let text = "profiles\n| where contry = \"DE\""
        let start = text.utf8.count - "contry = \"DE\"".utf8.count
        let diagnostic = Diagnostic(code: "unknown-field", message: "unknown field `contry`",
                                    range: SourceRange(start, start + 6), hint: "did you mean `country`?")
        #expect(DiagnosticRenderer.render(diagnostic, in: SourceText(text)) == """
            error: unknown field `contry` (did you mean `country`?)
              --> 2:9
               |
             2 | | where contry = "DE"
               |         ^^^^^^
            """)
    }

    /// Columns count characters, not bytes, so carets line up after non-ASCII text.
    @Test func columnsCountCharacters() {
        let source = SourceText("where name = \"Zoë\" and x = 1")
        let offset = "where name = \"Zoë\" and ".utf8.count
        #expect(source.location(of: offset) == (1, 24))
        let rendered = DiagnosticRenderer.render(Diagnostic(code: "c", message: "m", range: SourceRange(offset, offset + 1)), in: source)
        #expect(rendered.hasSuffix("|                        ^"))
    }

    @Test func linesAndEmptyRangesAtTheEnd() {
        let source = SourceText("a\r\nbc\n")
        #expect(source.line(1) == "a")
        #expect(source.line(2) == "bc")
        #expect(source.line(3) == "")
        #expect(source.location(of: 3) == (2, 1))
        #expect(source.location(of: 100) == (3, 1))
        let rendered = DiagnosticRenderer.render(Diagnostic(code: "c", message: "unexpected end", range: SourceRange(6, 6)), in: source)
        #expect(rendered.contains("--> 3:1"))
        #expect(rendered.hasSuffix("| ^"))
    }
}
