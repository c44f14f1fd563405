/// Renders a diagnostic as LANGUAGE.md shows it:
///
/// ```
/// error: unknown field `contry` (did you mean `country`?)
///   --> 2:9
///    |
///  2 | | where contry = "DE"
///    |         ^^^^^^
/// ```
public enum DiagnosticRenderer {
    public static func render(_ diagnostic: Diagnostic, in source: SourceText) -> String {
        let start = source.location(of: diagnostic.range.start)
        let end = source.location(of: diagnostic.range.end)
        let lineText = source.line(start.line)
        let width = String(start.line).count
        let gutter = String(repeating: " ", count: width + 2)
        // The caret spans the range on its first line, at least one character.
        let lineLength = lineText.count
        let last = end.line == start.line ? end.column : lineLength + 1
        let carets = max(1, min(last, lineLength + 1) - start.column)
        var headline = "\(diagnostic.severity.rawValue): \(diagnostic.message)"
        if let hint = diagnostic.hint { headline += " (\(hint))" }
        return [
            headline,
            "\(gutter.dropLast())--> \(start.line):\(start.column)",
            "\(gutter)|",
            " \(start.line) | \(lineText)",
            "\(gutter)| \(String(repeating: " ", count: start.column - 1))\(String(repeating: "^", count: carets))",
        ].joined(separator: "\n")
    }
}
