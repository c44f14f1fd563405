/// A lexical token of RQL, with its UTF-8 range in the query text.
public struct Token: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// A bare name (`plan`, `where`, `count`); keywords are words the parser recognises,
        /// case-insensitively, by position.
        case word
        /// A name in backticks: `` `Order Completed` ``.
        case quotedName
        case string
        /// `42`, `3.5`.
        case number
        /// `20%`, whose value is 0.2.
        case percent
        /// `2024-03-01`.
        case date
        /// `2024-03-01T10:00:00Z`.
        case timestamp
        /// The short forms `90d`, `2w`, `12h`, `30min`, `3mo`, `1y`.
        case duration
        /// `|` `(` `)` `,` `;` `.` `=` `!=` `<` `<=` `>` `>=` `+` `-` `*` `/` `->`.
        case symbol
        case end
    }

    public var kind: Kind
    /// The token's text as written (for strings and quoted names: the decoded value).
    public var text: String
    public var range: SourceRange

    public init(_ kind: Kind, _ text: String, _ range: SourceRange) {
        self.kind = kind
        self.text = text
        self.range = range
    }

    /// Whether this is the word `keyword`, in any case.
    public func isKeyword(_ keyword: String) -> Bool {
        kind == .word && text.lowercased() == keyword
    }

    public func isSymbol(_ symbol: String) -> Bool {
        kind == .symbol && text == symbol
    }
}
