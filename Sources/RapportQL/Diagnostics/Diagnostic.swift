/// A half-open range of UTF-8 offsets into a query's text.
public struct SourceRange: Hashable, Sendable {
    public var start: Int
    public var end: Int

    public init(_ start: Int, _ end: Int) {
        self.start = start
        self.end = max(start, end)
    }
}

/// A problem found in a query: collected, never thrown at the first one.
public struct Diagnostic: Hashable, Sendable {
    public enum Severity: String, Sendable {
        case error, warning, note
    }

    public var severity: Severity
    /// A stable kebab-case code, such as `unknown-field`.
    public var code: String
    /// Lowercase, no full stop, names in backticks: "unknown field `contry`".
    public var message: String
    public var range: SourceRange
    /// A suggestion, such as "did you mean `country`?".
    public var hint: String?

    public init(_ severity: Severity = .error, code: String, message: String, range: SourceRange, hint: String? = nil) {
        self.severity = severity
        self.code = code
        self.message = Self.bounded(message)
        self.range = range
        self.hint = hint.map(Self.bounded)
    }

    /// The longest message or hint, in UTF-8 bytes: a name quoted from a hostile query is cut
    /// with `…`, so no diagnostic grows with the text it quotes.
    public static let maxMessageBytes = 300

    static func bounded(_ text: String) -> String {
        guard text.utf8.count > maxMessageBytes else { return text }
        var scalars = String.UnicodeScalarView()
        var bytes = 0
        for scalar in text.unicodeScalars {
            bytes += UTF8.width(scalar)
            if bytes > maxMessageBytes - 3 { break }
            scalars.append(scalar)
        }
        return String(scalars) + "…"
    }
}
