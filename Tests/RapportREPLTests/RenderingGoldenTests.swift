import Foundation
import RapportQL
import RapportStore
import Testing
@testable import RapportREPL

/// Tables and charts as the REPL draws them, compared with `Snapshots/<name>.txt`;
/// `RECORD_SNAPSHOTS=1` re-records them. Review a changed snapshot on a terminal: the
/// columns must line up, wide characters included.
@Suite struct RenderingGoldenTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

    static func column(_ name: String, _ type: FieldType) -> ResultColumn { ResultColumn(name: name, type: type) }

    static let cases: [(String, QueryResult)] = [
        ("unicode", QueryResult(
            columns: [column("email", .text), column("name", .text), column("spent", .number), column("last_seen", .timestamp),
                      column("recency", .duration), column("pro", .boolean)],
            rows: [[.text("ada@example.com"), .text("Ada Lovelace"), .number("1200.5"), .timestamp("2024-03-01T09:30:00.000000Z"),
                    .duration("93784"), .boolean(true)],
                   [.text("山田@example.jp"), .text("山田太郎 🎉"), .number("0.123456"), .timestamp("2024-03-01T09:30:00.250000Z"),
                    .duration("59"), .boolean(false)],
                   [.text("zoë@example.de"), .text("Zoë\nwith a line break"), .number("-7"), .null, .null, .null]])),
        ("wide", QueryResult(
            columns: [column("id", .number), column("notes", .text)],
            rows: [[.number("1"), .text(String(repeating: "very long text that goes on ", count: 6))],
                   [.number("22"), .text(String(repeating: "長い", count: 30))]], truncated: true)),
        ("funnel", QueryResult(
            columns: ["step", "event", "optional", "profiles", "from_previous", "from_first", "median_time", "p90_time"].enumerated().map {
                column($0.element, [FieldType.number, .text, .boolean, .number, .number, .number, .duration, .duration][$0.offset]) },
            rows: [[.number("1"), .text("page"), .boolean(false), .number("199758"), .null, .number("1"), .null, .null],
                   [.number("2"), .text("Product Viewed"), .boolean(false), .number("136059"), .number("0.6811"), .number("0.6811"),
                    .duration("6710"), .duration("13552")],
                   [.number("3"), .text("Order Completed"), .boolean(false), .number("25830"), .number("0.1898"), .number("0.1293"),
                    .duration("5013"), .duration("12964")]])),
        ("tiers", QueryResult(
            columns: ["tier", "profiles", "share", "value", "value_share", "min_clv", "max_clv"].map { column($0, $0 == "tier" ? .text : .number) },
            rows: [[.text("platinum"), .number("10"), .number("0.1"), .number("870.5"), .number("0.62"), .number("60"), .number("120")],
                   [.text("gold"), .number("16"), .number("0.16"), .number("400"), .number("0.285"), .number("20"), .number("60")],
                   [.text("silver"), .number("35"), .number("0.35"), .number("133"), .number("0.095"), .number("0"), .number("20")],
                   [.text("bronze"), .number("20"), .number("0.2"), .number("0"), .number("0"), .number("0"), .number("0")],
                   [.text("lead"), .number("19"), .number("0.19"), .number("0"), .number("0"), .number("0"), .number("0")]])),
        ("pareto", QueryResult(
            columns: ["top", "profiles", "value", "total", "share"].map { column($0, .number) },
            rows: [[.number("0.2"), .number("20"), .number("1100"), .number("1403.5"), .number("0.78375")]])),
        ("lifecycle_by_plan", QueryResult(
            columns: [column("plan", .text), column("stage", .text), column("profiles", .number), column("reached", .number), column("conversion", .number)],
            rows: ["pro", "free"].flatMap { plan in
                [("reach", 40, 100), ("acquisition", 30, 60), ("development", 15, 30), ("retention", 10, 15), ("inspire", 5, 5)].map { stage in
                    [QueryValue.text(plan), .text(stage.0), .number("\(stage.1)"), .number("\(stage.2)"),
                     stage.0 == "inspire" ? .null : .number("0.5")]
                }
            })),
        ("retention", QueryResult(
            columns: [column("cohort", .timestamp), column("period", .number), column("customers", .number), column("active", .number),
                      column("retention", .number)],
            rows: [[.timestamp("2024-01-01T00:00:00.000000Z"), .number("0"), .number("120"), .number("120"), .number("1")],
                   [.timestamp("2024-01-01T00:00:00.000000Z"), .number("1"), .number("120"), .number("54"), .number("0.45")],
                   [.timestamp("2024-01-01T00:00:00.000000Z"), .number("2"), .number("120"), .number("20"), .number("0.1667")],
                   [.timestamp("2024-02-01T00:00:00.000000Z"), .number("0"), .number("80"), .number("80"), .number("1")],
                   [.timestamp("2024-02-01T00:00:00.000000Z"), .number("1"), .number("80"), .number("0"), .number("0")]])),
        ("empty", QueryResult(columns: [column("email", .text)], rows: [])),
    ]

    @Test(arguments: cases.map(\.0))
    func rendering(_ name: String) throws {
        let result = Self.cases.first { $0.0 == name }!.1
        var fresh = ResultRenderer.table(result, elapsed: "12 ms")
        if let chart = Charts.chart(for: result) { fresh += "\n\n" + chart }
        fresh += "\n\n" + ResultRenderer.expanded(result) + "\n"
        let file = Self.folder.appendingPathComponent("\(name).txt")
        if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" {
            try fresh.write(to: file, atomically: true, encoding: .utf8)
        }
        let committed = try? String(contentsOf: file, encoding: .utf8)
        #expect(committed == fresh, "\(name).txt changed; RECORD_SNAPSHOTS=1 re-records it")
    }

    /// Every line of a table is equally wide on a terminal, whatever the characters.
    @Test(arguments: cases.map(\.0))
    func tableLinesLineUp(_ name: String) {
        let result = Self.cases.first { $0.0 == name }!.1
        // The table's lines, without the footer (the row count, and a cut result's note).
        let lines = ResultRenderer.table(result).split(separator: "\n").map(String.init).filter { $0.hasPrefix(" ") }
        // Lines are trimmed at the right, so compare where the column separators fall.
        let separators = lines.map { line in
            var positions: [Int] = [], width = 0
            for character in line {
                if character == "│" || character == "┼" { positions.append(width) }
                width += ResultRenderer.displayWidth(String(character))
            }
            return positions
        }
        #expect(Set(separators).count <= 1, "\(name): \(separators)")
    }

    @Test func cellsAreCutAtTheirWidth() {
        #expect(ResultRenderer.displayWidth("山田🎉a") == 7)
        #expect(ResultRenderer.cut(String(repeating: "x", count: 50), to: 10) == "xxxxxxxxx…")
        #expect(ResultRenderer.cut(String(repeating: "長", count: 10), to: 10) == "長長長長…")
        #expect(ResultRenderer.cut("short", to: 10) == "short")
    }
}
