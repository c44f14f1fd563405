/// Renders a diagnostic as LANGUAGE.md shows it:
///
/// ```
/// error: unknown field `contry` (did you mean `country`?)
///   --> 2:9
///    |
///  2 | | where contry = "DE"
///    |         ^^^^^^
/// ```
///
/// A long line is shown as an excerpt around the caret (at most ``excerptCharacters``
/// characters, `…` where it is cut), so a rendering stays under ``maxRenderedBytes`` whatever
/// the query.
public enum DiagnosticRenderer {
    /// The most bytes one rendered diagnostic takes.
    public static let maxRenderedBytes = 2048
    /// The most characters of the source line shown.
    public static let excerptCharacters = 100

    public static func render(_ diagnostic: Diagnostic, in source: SourceText) -> String {
        let start = source.location(of: diagnostic.range.start)
        let end = source.location(of: diagnostic.range.end)
        let line = Array(source.line(start.line))
        let width = String(start.line).count
        let gutter = String(repeating: " ", count: width + 2)
        // The caret spans the range on its first line, at least one character.
        let last = min(end.line == start.line ? end.column : line.count + 1, line.count + 1)
        var caretStart = start.column - 1
        var carets = max(1, last - start.column)
        var excerpt = line[...]
        var lead = ""
        if line.count > excerptCharacters {
            let from = max(0, min(caretStart - excerptCharacters / 3, line.count - excerptCharacters))
            excerpt = line[from..<min(line.count, from + excerptCharacters)]
            lead = from > 0 ? "…" : ""
            caretStart = caretStart - from + lead.count
            carets = max(1, min(carets, excerpt.count + lead.count + 1 - caretStart))
        }
        var shown = lead + String(excerpt) + (excerpt.endIndex < line.count ? "…" : "")
        var headline = "\(diagnostic.severity.rawValue): \(diagnostic.message)"
        if let hint = diagnostic.hint { headline += " (\(hint))" }
        let location = "\(gutter.dropLast())--> \(start.line):\(start.column)"
        // Characters made of many scalars could still make the excerpt large: then no excerpt.
        let budget = maxRenderedBytes - headline.utf8.count - location.utf8.count - 4 * (width + 8)
        if shown.utf8.count + caretStart + carets > budget {
            shown = "…"
            caretStart = 0
            carets = 1
        }
        return [
            headline,
            location,
            "\(gutter)|",
            " \(start.line) | \(shown)",
            "\(gutter)| \(String(repeating: " ", count: caretStart))\(String(repeating: "^", count: carets))",
        ].joined(separator: "\n")
    }
}
