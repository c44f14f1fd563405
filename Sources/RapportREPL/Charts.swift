import Foundation
import RapportStore

/// Pictures drawn under a report's table: horizontal bars for funnels, tiers, pareto and
/// lifecycle (the drop-off at a glance), a shaded grid for retention cohorts. A result is
/// recognised by its columns, as Grammar/README.md ("Reports") names them, so it works the
/// same over HTTP and on the database.
public enum Charts {
    public static let barWidth = 40

    /// The chart for `result`, or nil when it is not a report that has one.
    public static func chart(for result: QueryResult) -> String? {
        let names = result.columns.map(\.name)
        guard !result.rows.isEmpty else { return nil }
        func column(_ name: String) -> Int? { names.firstIndex(of: name) }
        func number(_ row: [QueryValue], _ name: String) -> Double? {
            column(name).flatMap { row[$0].decimal }.map { NSDecimalNumber(decimal: $0).doubleValue }
        }
        func text(_ row: [QueryValue], _ name: String) -> String {
            column(name).map { ResultRenderer.cell(row[$0]) } ?? ""
        }
        // A breakdown is the first column when there is one: each group gets its own bars.
        let grouped = names.first.map { !["step", "tier", "stage", "top", "cohort"].contains($0) } ?? false
        func groups() -> [(String?, [[QueryValue]])] {
            guard grouped else { return [(nil, result.rows)] }
            var order: [String] = [], rows: [String: [[QueryValue]]] = [:]
            for row in result.rows {
                let key = ResultRenderer.cell(row[0])
                if rows[key] == nil { order.append(key) }
                rows[key, default: []].append(row)
            }
            return order.map { ($0, rows[$0]!) }
        }
        if names.suffix(8) == ["step", "event", "optional", "profiles", "from_previous", "from_first", "median_time", "p90_time"] {
            return groups().map { key, rows in
                let bars = rows.map { row in
                    (label: text(row, "step") + " " + text(row, "event"), value: number(row, "profiles") ?? 0,
                     note: percent(number(row, "from_first")))
                }
                return titled(key.map { "\(names[0]) = \($0)" }, bars: bars)
            }.joined(separator: "\n\n")
        }
        if names == ["tier", "profiles", "share", "value", "value_share", "min_clv", "max_clv"] {
            let bars = result.rows.map { row in
                (label: text(row, "tier"), value: number(row, "value_share") ?? 0,
                 note: percent(number(row, "value_share")) + " of value, " + percent(number(row, "share")) + " of profiles")
            }
            return titled("share of value by tier", bars: bars)
        }
        if names == ["top", "profiles", "value", "total", "share"], let row = result.rows.first {
            let bars = [(label: "top " + percent(number(row, "top")) + " of profiles", value: number(row, "share") ?? 0,
                         note: percent(number(row, "share")) + " of value"),
                        (label: "the other " + percent(1 - (number(row, "top") ?? 0)), value: 1 - (number(row, "share") ?? 0),
                         note: percent(1 - (number(row, "share") ?? 0)) + " of value")]
            return titled(nil, bars: bars)
        }
        if names.suffix(4) == ["stage", "profiles", "reached", "conversion"] {
            return groups().map { key, rows in
                let bars = rows.map { row in
                    (label: text(row, "stage"), value: number(row, "reached") ?? 0, note: "conversion " + percent(number(row, "conversion")))
                }
                return titled(key.map { "\(names[0]) = \($0)" } ?? "profiles reaching each stage", bars: bars)
            }.joined(separator: "\n\n")
        }
        if names == ["cohort", "period", "customers", "active", "retention"] {
            return retentionGrid(result)
        }
        return nil
    }

    static func percent(_ share: Double?) -> String {
        guard let share else { return "–" }
        let value = share * 100
        return (value.rounded() == value ? String(format: "%.0f", value) : String(format: "%.1f", value)) + "%"
    }

    /// Bars scaled to the largest value, in eighths of a character; each with its value and note.
    static func titled(_ title: String?, bars: [(label: String, value: Double, note: String)]) -> String {
        let labelWidth = bars.map { ResultRenderer.displayWidth($0.label) }.max() ?? 0
        let largest = bars.map(\.value).max() ?? 0
        var lines: [String] = title.map { [$0] } ?? []
        for bar in bars {
            let eighths = largest > 0 ? Int((max(0, bar.value) / largest * Double(barWidth * 8)).rounded()) : 0
            let blocks = String(repeating: "█", count: eighths / 8) + (eighths % 8 > 0 ? String(partial[eighths % 8]) : "")
            let shown = bar.value.rounded() == bar.value && abs(bar.value) >= 1 ? String(format: "%.0f", bar.value) : ""
            lines.append(ResultRenderer.pad(bar.label, to: labelWidth, right: false) + " │" + ResultRenderer.pad(blocks, to: barWidth, right: false)
                         + " " + [shown, bar.note].filter { !$0.isEmpty }.joined(separator: "  "))
        }
        return lines.joined(separator: "\n")
    }

    static let partial: [Character] = [" ", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]

    /// Cohorts down, periods across, each cell the retention in percent, shaded.
    static func retentionGrid(_ result: QueryResult) -> String {
        var cohorts: [String] = [], sizes: [String: String] = [:], cells: [String: [Int: Double]] = [:]
        var periods = 0
        for row in result.rows {
            let cohort = ResultRenderer.cell(row[0]).split(separator: " ").first.map(String.init) ?? ""
            guard let period = row[1].decimal.map({ NSDecimalNumber(decimal: $0).intValue }) else { continue }
            if cells[cohort] == nil { cohorts.append(cohort); sizes[cohort] = ResultRenderer.cell(row[2]) }
            cells[cohort, default: [:]][period] = row[4].decimal.map { NSDecimalNumber(decimal: $0).doubleValue }
            periods = max(periods, period + 1)
        }
        let shown = min(periods, 13)
        let cohortWidth = max(6, cohorts.map(\.count).max() ?? 0)
        let sizeWidth = max(9, sizes.values.map(\.count).max() ?? 0)
        var lines = [ResultRenderer.pad("cohort", to: cohortWidth, right: false) + " " + ResultRenderer.pad("customers", to: sizeWidth, right: true)
                     + " " + (0..<shown).map { ResultRenderer.pad("\($0)", to: 5, right: true) }.joined()]
        for cohort in cohorts {
            var line = ResultRenderer.pad(cohort, to: cohortWidth, right: false) + " " + ResultRenderer.pad(sizes[cohort] ?? "", to: sizeWidth, right: true) + " "
            for period in 0..<shown {
                guard let share = cells[cohort]?[period] else { line += "     "; continue }
                let shade: Character = share >= 0.75 ? "█" : share >= 0.5 ? "▓" : share >= 0.25 ? "▒" : share > 0 ? "░" : " "
                line += ResultRenderer.pad(String(shade) + String(format: "%.0f", share * 100), to: 5, right: true)
            }
            lines.append(line.trimmingTrailingSpaces())
        }
        if periods > shown { lines.append("(periods 0–\(shown - 1) of \(periods) shown)") }
        return lines.joined(separator: "\n")
    }
}
