import Foundation
import RapportStore

/// Prints results as the REPL and `rapport query` show them.
public enum ResultRenderer {
    /// On a terminal, the narrowest a long cell is cut to (`…`) however narrow the screen;
    /// otherwise a cell may use the screen. Piped or in a file nothing is cut, and expanded
    /// display never cuts.
    public static let maxCellWidth = 40

    /// A value as a cell shows it: numbers to at most 4 decimals without trailing zeros,
    /// durations as days, hours, minutes and seconds, timestamps as `2024-01-31 09:30:00`
    /// (UTC; fractions only when there are any). JSON and CSV keep the exact values.
    public static func cell(_ value: QueryValue) -> String {
        switch value {
        case .number(let text):
            guard let dot = text.firstIndex(of: "."), let decimal = value.decimal else { return text }
            var rounded = Decimal(), source = decimal
            NSDecimalRound(&rounded, &source, 4, .plain)
            let shown = text.distance(from: dot, to: text.endIndex) > 5 ? "\(rounded)" : text
            guard shown.contains(".") else { return shown }
            let trimmed = shown.reversed().drop { $0 == "0" }.reversed()
            return String(trimmed.last == "." ? trimmed.dropLast() : trimmed[...])
        case .duration:
            guard let seconds = value.decimal.map({ NSDecimalNumber(decimal: $0).doubleValue }) else { return value.display }
            var rest = Int(abs(seconds).rounded())
            var parts: [String] = []
            for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60)] where rest >= size {
                parts.append("\(rest / size)\(unit)")
                rest %= size
            }
            if rest > 0 || parts.isEmpty { parts.append("\(rest)s") }
            return (seconds < 0 ? "-" : "") + parts.joined(separator: " ")
        case .timestamp(let iso) where iso.hasSuffix("Z") && iso.contains("T"):
            // 2024-01-31T09:30:00.000000Z -> 2024-01-31 09:30:00
            var text = iso.replacingOccurrences(of: "T", with: " ")
            if text.hasSuffix("Z") { text.removeLast() }
            if let dot = text.lastIndex(of: ".") {
                let fraction = text[text.index(after: dot)...].reversed().drop { $0 == "0" }.reversed()
                text = String(text[..<dot]) + (fraction.isEmpty ? "" : "." + String(fraction))
            }
            return text
        default:
            return value.display
        }
    }

    static func isNumeric(_ type: String) -> Bool { type == "number" || type == "duration" }

    /// An aligned table: names, then types, a rule, the rows (numbers right-aligned, long text
    /// cut with `…`), and a line with the row count (and the time, when given). `width` is the
    /// terminal's, when there is one: a cell is then cut only where the screen ends; without
    /// one (a pipe, a file) nothing is cut.
    public static func table(_ result: QueryResult, elapsed: String? = nil, width: Int? = nil) -> String {
        let names = result.columns.map(\.name)
        let types = result.columns.map { $0.type.rawValue }
        let limit = width.map { max(maxCellWidth, $0 - 3) } ?? Int.max
        let cells = result.rows.map { row in row.map { cut(Self.cell($0), to: limit) } }
        var widths = zip(names, types).map { max(displayWidth($0), displayWidth($1)) }
        for row in cells { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], displayWidth(cell)) } }
        func line(_ cells: [String], numeric: [Bool]) -> String {
            cells.enumerated().map { index, cell in
                pad(cell, to: widths[index], right: numeric[index])
            }.joined(separator: " │ ")
        }
        let left = Array(repeating: false, count: names.count)
        let numeric = types.map(isNumeric)
        var lines = [line(names, numeric: left), line(types, numeric: left),
                     widths.map { String(repeating: "─", count: $0) }.joined(separator: "─┼─")]
        lines += cells.map { line($0, numeric: numeric) }
        lines = lines.map { " " + $0.trimmingTrailingSpaces() }
        lines.append(footer(result, elapsed: elapsed))
        return lines.joined(separator: "\n")
    }

    /// `\x`: one block per row, a line per column, nothing cut.
    public static func expanded(_ result: QueryResult, elapsed: String? = nil) -> String {
        let width = result.columns.map { displayWidth($0.name) }.max() ?? 0
        var lines: [String] = []
        for (index, row) in result.rows.enumerated() {
            lines.append("-[ RECORD \(index + 1) ]" + String(repeating: "-", count: max(0, width + 8 - "\(index + 1)".count)))
            for (column, value) in zip(result.columns, row) {
                // A value's own line breaks continue under it, so the block stays readable.
                let continuation = "\n" + String(repeating: " ", count: width) + " │ "
                lines.append(pad(column.name, to: width, right: false) + " │ " + Self.cell(value).replacingOccurrences(of: "\n", with: continuation))
            }
        }
        lines.append(footer(result, elapsed: elapsed))
        return lines.joined(separator: "\n")
    }

    static func footer(_ result: QueryResult, elapsed: String?) -> String {
        var text = "(\(result.rows.count) row\(result.rows.count == 1 ? "" : "s")"
        if let elapsed { text += ", \(elapsed)" }
        text += ")"
        if result.truncated { text += "\n" + truncation(result) }
        return text
    }

    /// What a result cut at the row cap says: that there were more, and what to do.
    public static func truncation(_ result: QueryResult) -> String {
        "The result has more than these \(result.rows.count) rows: it was cut at the row cap. Ask for fewer "
            + "(`| limit N`, a narrower `where`), or raise the cap: --row-cap N of rapport query and rapport repl "
            + "--tenant, or the server's RAPPORT_QUERY_ROW_CAP."
    }

    /// A result in `format`, as both the REPL and `rapport query` print it: an explain as its
    /// SQL, a table fitted to the terminal (``fitted(_:elapsed:width:expanded:)``), or the data.
    public static func render(_ result: QueryResult, format: OutputFormat, elapsed: String? = nil,
                              width: Int?, expanded: Expanded) throws -> String {
        switch format {
        case .json: return try json(result)
        case .ndjson: return try ndjson(result)
        case .csv: return csv(result)
        case .table: return explain(result) ?? fitted(result, elapsed: elapsed, width: width, expanded: expanded)
        }
    }

    /// A result as a table for a terminal `width` columns wide (nil: not a terminal), or one
    /// block per row when `expanded` is on, or auto and the table is wider than the screen.
    /// Only the table's own lines count, not the footer under it.
    public static func fitted(_ result: QueryResult, elapsed: String? = nil, width: Int?, expanded: Expanded) -> String {
        if expanded == .on { return self.expanded(result, elapsed: elapsed) }
        let text = table(result, elapsed: elapsed, width: width)
        guard expanded == .auto, let width, !result.rows.isEmpty else { return text }
        let widest = text.split(separator: "\n").filter { $0.hasPrefix(" ") }.map { displayWidth(String($0)) }.max() ?? 0
        return widest > width ? self.expanded(result, elapsed: elapsed) : text
    }

    /// An `explain` result as text: the SQL, a line per bind (`-- $1 = …`), then the plan when
    /// it was analyzed. Nil for any other result.
    public static func explain(_ result: QueryResult) -> String? {
        guard let sql = result.sql else { return nil }
        var text = sql
        if let binds = result.binds, !binds.isEmpty {
            text += "\n" + binds.enumerated().map { "-- $\($0.offset + 1) = \($0.element)" }.joined(separator: "\n")
        }
        if let reads = result.reads { text += "\n-- reads " + reads }
        if result.columns.map(\.name) == ["plan"], !result.rows.isEmpty {
            text += "\n\n" + result.rows.map { $0.map(\.display).joined(separator: " ") }.joined(separator: "\n")
        }
        return text
    }

    /// An array of objects, exact values, as `POST /v1/query` returns them.
    public static func json(_ result: QueryResult) throws -> String {
        "[" + (try result.rows.map { try object(result, $0) }).joined(separator: ",\n ") + "]"
    }

    /// One object per line.
    public static func ndjson(_ result: QueryResult) throws -> String {
        try result.rows.map { try object(result, $0) }.joined(separator: "\n")
    }

    static func object(_ result: QueryResult, _ row: [QueryValue]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let members = try zip(result.columns, row).map { column, value in
            let key = String(decoding: try encoder.encode(column.name), as: UTF8.self)
            return key + ":" + String(decoding: try encoder.encode(value), as: UTF8.self)
        }
        return "{" + members.joined(separator: ",") + "}"
    }

    /// RFC 4180: a header line, exact values, fields quoted when they hold `,`, `"` or a line break.
    public static func csv(_ result: QueryResult) -> String {
        func field(_ text: String) -> String {
            text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }
        var lines = [result.columns.map { field($0.name) }.joined(separator: ",")]
        for row in result.rows {
            lines.append(row.map { $0 == .null ? "" : field($0.display) }.joined(separator: ","))
        }
        return lines.joined(separator: "\r\n")
    }

    // MARK: Text width

    /// Columns a string takes on a terminal: East Asian wide and emoji characters 2,
    /// combining marks 0.
    public static func displayWidth(_ text: String) -> Int {
        text.reduce(0) { $0 + width(of: $1) }
    }

    static func width(of character: Character) -> Int {
        guard let scalar = character.unicodeScalars.first else { return 0 }
        if character.unicodeScalars.allSatisfy({ $0.properties.generalCategory == .nonspacingMark || $0.properties.generalCategory == .enclosingMark }) {
            return 0
        }
        if scalar.value < 0x20 || (0x7F..<0xA0).contains(scalar.value) { return 0 }
        if scalar.properties.isEmojiPresentation { return 2 }
        switch scalar.value {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
             0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x20000...0x3FFFD:
            return 2
        default:
            return 1
        }
    }

    /// `text` cut to `limit` columns, ending with `…` when cut; control characters (line
    /// breaks, tabs) shown as spaces, so that a row stays on one line.
    public static func cut(_ text: String, to limit: Int) -> String {
        let flat = String(text.map { $0.isNewline || $0 == "\t" ? " " : $0 })
        guard displayWidth(flat) > limit else { return flat }
        var out = "", used = 0
        for character in flat {
            let w = width(of: character)
            if used + w > limit - 1 { break }
            out.append(character)
            used += w
        }
        return out + "…"
    }

    static func pad(_ text: String, to width: Int, right: Bool) -> String {
        let padding = String(repeating: " ", count: max(0, width - displayWidth(text)))
        return right ? padding + text : text + padding
    }
}

extension String {
    public func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
