import Testing
@testable import RapportQL

@Suite struct LexerTests {
    func kinds(_ text: String) -> [String] {
        Lexer.tokenize(text).tokens.dropLast().map { token in
            switch token.kind {
            case .word: return "word:\(token.text)"
            case .quotedName: return "name:\(token.text)"
            case .string: return "string:\(token.text)"
            case .number: return "number:\(token.text)"
            case .percent: return "percent:\(token.text)"
            case .date: return "date:\(token.text)"
            case .timestamp: return "timestamp:\(token.text)"
            case .duration: return "duration:\(token.text)"
            case .symbol: return token.text
            case .end: return "end"
            }
        }
    }

    @Test func theExampleQueryOfTheLanguageGuide() {
        let query = """
            profiles
            | where plan = "pro" and country in ("DE", "FR")
            | where count(purchase within 90 days) >= 3 -- busy buyers
            """
        #expect(kinds(query) == [
            "word:profiles", "|", "word:where", "word:plan", "=", "string:pro", "word:and", "word:country", "word:in", "(",
            "string:DE", ",", "string:FR", ")", "|", "word:where", "word:count", "(", "word:purchase", "word:within",
            "number:90", "word:days", ")", ">=", "number:3",
        ])
    }

    @Test func literals() {
        #expect(kinds("20% 3.5 -7 2024-03-01 2024-03-01T10:00:00Z 90d 30min 3mo `Order Completed` 'it\\'s' \"\\u{e9}\\n\"") == [
            "percent:20", "number:3.5", "-", "number:7", "date:2024-03-01", "timestamp:2024-03-01T10:00:00Z",
            "duration:90d", "duration:30min", "duration:3mo", "name:Order Completed", "string:it's", "string:é\n",
        ])
        #expect(kinds("a -> b != c <= d.e") == ["word:a", "->", "word:b", "!=", "word:c", "<=", "word:d", ".", "word:e"])
    }

    /// Every problem is reported, with its place, and lexing goes on.
    @Test func problemsAreCollected() {
        let (tokens, diagnostics) = Lexer.tokenize("where x = 5kg and y = \"open § \\q")
        #expect(diagnostics.map(\.code) == ["bad-number", "bad-escape", "unterminated-string"])
        #expect(diagnostics[0].message == "unknown unit `kg` after a number")
        #expect(diagnostics[0].range == SourceRange(11, 13))
        #expect(tokens.last?.kind == .end)
        let stray = Lexer.tokenize("a § b")
        #expect(stray.diagnostics.map(\.message) == ["unexpected character `§`"])
        #expect(stray.tokens.map(\.text) == ["a", "b", ""])
    }

    @Test func keywordsAreCaseInsensitive() {
        let tokens = Lexer.tokenize("WHERE Where where").tokens
        #expect(tokens.dropLast().allSatisfy { $0.isKeyword("where") })
    }
}
