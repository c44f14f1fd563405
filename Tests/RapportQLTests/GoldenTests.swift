import Foundation
import Testing
@testable import RapportQL

/// Every `Grammar/examples/*.rql` through every stage, compared with the committed snapshot
/// in `Snapshots/<example>.<stage>`; `RECORD_SNAPSHOTS=1` re-records them.
@Suite struct GoldenTests {
    static let folder = Fixtures.root.appendingPathComponent("Tests/RapportQLTests/Snapshots")
    static let cases: [(String, RQL.Stage)] = Fixtures.exampleNames.flatMap { name in
        [RQL.Stage.tokens, .ast, .sql].map { (name, $0) }
    }

    @Test(arguments: cases)
    func snapshot(_ example: String, _ stage: RQL.Stage) throws {
        let text = try Fixtures.example(example)
        let (output, diagnostics) = RQL.dump(text, stage: stage, catalog: Fixtures.catalog)
        let source = SourceText(text)
        var fresh = output
        if !diagnostics.isEmpty {
            fresh += (fresh.isEmpty ? "" : "\n\n") + diagnostics.map { DiagnosticRenderer.render($0, in: source) }.joined(separator: "\n\n")
        }
        fresh += "\n"
        let file = Self.folder.appendingPathComponent("\(example).\(stage.rawValue)")
        if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" {
            try fresh.write(to: file, atomically: true, encoding: .utf8)
        }
        let committed = try? String(contentsOf: file, encoding: .utf8)
        #expect(committed == fresh, "\(example).\(stage.rawValue) changed; RECORD_SNAPSHOTS=1 re-records it")
    }

    /// Every example's SQL with the per-profile summaries ready (for the default value
    /// settings): the statements whose SQL differs from `<example>.sql`, numbered, compared with
    /// `Snapshots/<example>.summaries.sql` (none, and no file, when every statement reads the
    /// same): which aggregates read `event_summaries`, which the raw events, and how a pass
    /// that reads both is joined.
    @Test(arguments: Fixtures.exampleNames)
    func summariesSnapshot(_ example: String) throws {
        let text = try Fixtures.example(example)
        var catalog = Fixtures.catalog
        catalog.summaries = SummaryAvailability(revenue: ValueSettings.defaults.revenue, cost: ValueSettings.defaults.cost)
        let (output, diagnostics) = RQL.dump(text, stage: .sql, catalog: catalog)
        #expect(diagnostics.isEmpty, "\(diagnostics.map(\.message))")
        // Statements are separated by a blank line (their SQL holds none).
        let statements = output.components(separatedBy: "\n\n")
        let raw = RQL.dump(text, stage: .sql, catalog: Fixtures.catalog).0.components(separatedBy: "\n\n")
        #expect(statements.count == raw.count)
        let differing = statements.indices.filter { $0 >= raw.count || statements[$0] != raw[$0] }
        let fresh = differing.map { "-- statement \($0 + 1)\n" + statements[$0] }.joined(separator: "\n\n")
        let file = Self.folder.appendingPathComponent("\(example).summaries.sql")
        if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" {
            if differing.isEmpty { try? FileManager.default.removeItem(at: file) } else { try (fresh + "\n").write(to: file, atomically: true, encoding: .utf8) }
        }
        let committed = try? String(contentsOf: file, encoding: .utf8)
        #expect(committed == (differing.isEmpty ? nil : fresh + "\n"), "\(example).summaries.sql changed; RECORD_SNAPSHOTS=1 re-records it")
    }

    /// Every example compiles against the fixture catalogue.
    @Test(arguments: Fixtures.exampleNames)
    func examplesCompile(_ example: String) throws {
        let compilation = RQL.compile(try Fixtures.example(example), catalog: Fixtures.catalog)
        #expect(compilation.diagnostics.isEmpty, "\(compilation.diagnostics.map(\.message))")
    }

    /// No example may parse with a problem: they are the grammar's own test.
    @Test(arguments: Fixtures.exampleNames)
    func examplesParse(_ example: String) throws {
        #expect(RQL.parse(try Fixtures.example(example)).diagnostics.isEmpty)
    }
}

extension RQL.Stage: CustomTestStringConvertible {
    public var testDescription: String { rawValue }
}
