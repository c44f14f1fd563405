import Foundation
import RapportQL
import RapportStore
import Testing
@testable import RapportREPL

/// The REPL engine without a terminal: typed lines to inputs, commands, and a session's
/// outcomes over a backend that answers from a table of canned results.
@Suite struct StatementReaderTests {
    func inputs(_ lines: [String]) -> [ReplInput] {
        var reader = StatementReader()
        var out = lines.compactMap { reader.feed($0) }
        if let rest = reader.finish() { out.append(rest) }
        return out
    }

    @Test func aStatementEndsAtItsSemicolon() {
        #expect(inputs(["profiles", "| where plan = \"pro\";"]) == [.statement("profiles\n| where plan = \"pro\";")])
    }

    @Test func aBlankLineEndsACompleteStatement() {
        #expect(inputs(["count profiles", "", "show tiers", ""]) == [.statement("count profiles"), .statement("show tiers")])
    }

    @Test func aBlankLineInsideAnUnfinishedStatementKeepsReading() {
        // After `where`, inside parentheses, inside a string: not complete yet.
        #expect(inputs(["profiles | where", "", "plan = \"pro\"", ""]) == [.statement("profiles | where\nplan = \"pro\"")])
        #expect(inputs(["count profiles where country in (\"DE\",", "", "\"FR\")", ""])
                == [.statement("count profiles where country in (\"DE\",\n\"FR\")")])
        #expect(inputs(["count profiles where name = \"a;", "b\";"]) == [.statement("count profiles where name = \"a;\nb\";")])
    }

    @Test func aWrongButFinishedStatementIsSentForTheServerToReport() {
        #expect(inputs(["profiles | where contry = 1", ""]) == [.statement("profiles | where contry = 1")])
    }

    @Test func commandsAreSingleLinesAndBlankLinesAloneAreNothing() {
        #expect(inputs(["", "\\x", "  \\format csv  ", ""]) == [.command("\\x"), .command("\\format csv")])
    }

    @Test func theEndOfInputRunsWhatWasTyped() {
        #expect(inputs(["count profiles"]) == [.statement("count profiles")])
        var reader = StatementReader()
        _ = reader.feed("profiles |")
        #expect(reader.isContinuing)
        reader.reset()
        #expect(!reader.isContinuing && reader.finish() == nil)
    }
}

@Suite struct ReplCommandTests {
    @Test func commandsParse() throws {
        #expect(try ReplCommand.parse("\\q").get() == .quit)
        #expect(try ReplCommand.parse("\\help where").get() == .help("where"))
        #expect(try ReplCommand.parse("\\d").get() == .describe(nil))
        #expect(try ReplCommand.parse("\\d buyers").get() == .describe("buyers"))
        #expect(try ReplCommand.parse("\\explain count profiles").get() == .explain("count profiles"))
        #expect(try ReplCommand.parse("\\profile email:ada@example.com").get() == .profile("email:ada@example.com"))
        #expect(try ReplCommand.parse("\\format ndjson").get() == .format(.ndjson))
        #expect(try ReplCommand.parse("\\o /tmp/out.txt").get() == .output("/tmp/out.txt"))
        #expect(try ReplCommand.parse("\\o").get() == .output(nil))
        #expect(try ReplCommand.parse("\\timing").get() == .timing)
        #expect(try ReplCommand.parse("\\x").get() == .expanded(nil))
        #expect(try ReplCommand.parse("\\x auto").get() == .expanded(.auto))
        #expect(throws: ReplProblem.self) { try ReplCommand.parse("\\x sideways").get() }
    }

    @Test func badCommandsNameTheProblem() {
        #expect(ReplCommand.parse("\\fromat csv") == .failure(ReplProblem("unknown command `\\fromat` (did you mean `\\format`?); \\help lists the commands")))
        #expect(ReplCommand.parse("\\format xml") == .failure(ReplProblem("unknown format `xml`: use table, json, csv or ndjson")))
        #expect(ReplCommand.parse("\\explain") == .failure(ReplProblem("\\explain needs a query: \\explain profiles | where plan = \"pro\"")))
    }
}

/// A backend that answers from canned results and records what it was sent.
final class CannedBackend: ReplBackend, @unchecked Sendable {
    let tenant = "acme"
    var sent: [String] = []
    var answers: [String: Result<QueryResult, ReplFailure>]
    init(_ answers: [String: Result<QueryResult, ReplFailure>]) { self.answers = answers }

    func run(_ statement: String, id: String) async throws -> QueryResult {
        sent.append(statement)
        guard let answer = answers[statement] else { throw ReplFailure.rejected("error: no canned answer for `\(statement)`") }
        return try answer.get()
    }
    func cancel(_ id: String) async {}
    func catalog() async throws -> CompletionCatalog { CompletionCatalog(traits: ["plan", "country"], segments: ["buyers", "big"]) }

    /// Profile 7, also found as email:ada@example.com.
    func profile(_ reference: ProfileReference) async throws -> Profile? {
        guard reference == .id(7) || reference == .identifier(kind: "email", value: "ada@example.com") else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(Profile.self, from: Data(#"""
            {"id": 7, "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-02-01T00:00:00Z", "groups": [],
             "identities": [{"kind": "email", "value": "ada@example.com", "source": "web", "first_seen": "2024-01-01T00:00:00Z",
                             "last_seen": "2024-02-01T10:00:00Z"}],
             "traits": {"plan": {"value": "pro", "source": "crm", "at": "2024-01-15T08:00:00Z"}, "seats": {"value": 12}}}
            """#.utf8))
    }
}

@Suite struct ReplSessionTests {
    static let plans = QueryResult(columns: [ResultColumn(name: "plan", type: .text), ResultColumn(name: "n", type: .number)],
                                   rows: [[.text("pro"), .number("12")], [.text("free, \"basic\""), .number("3.50")]])

    /// On a terminal a table uses the screen's width, and one wider than the screen is shown
    /// expanded (`\x auto`, the default); `\x off` keeps the table (issue 16).
    @Test func tablesFitTheTerminal() async {
        let note = String(repeating: "a long note ", count: 6).trimmingCharacters(in: .whitespaces)
        let notes = QueryResult(columns: [ResultColumn(name: "id", type: .number), ResultColumn(name: "note", type: .text)],
                                rows: [[.number("1"), .text(note)]])
        var session = ReplSession(backend: CannedBackend(["profiles": .success(notes)]))
        session.timing = false
        session.terminalWidth = 120
        let wide = await session.handle(.statement("profiles")).results ?? ""
        #expect(wide.contains(note) && !wide.contains("…"), "a cell is cut only where the screen ends:\n\(wide)")
        session.terminalWidth = 40
        let narrow = await session.handle(.statement("profiles")).results ?? ""
        #expect(narrow.hasPrefix("-[ RECORD 1 ]") && narrow.contains("note │ \(note)"), "\(narrow)")
        #expect(await session.handle(.command("\\x off")).message == "expanded display is off")
        let kept = await session.handle(.statement("profiles")).results ?? ""
        #expect(kept.hasPrefix(" id") && kept.contains("…"), "\(kept)")
        session.terminalWidth = nil
        let piped = await session.handle(.statement("profiles")).results ?? ""
        #expect(piped.contains(note) && !piped.contains("…"), "piped, nothing is cut:\n\(piped)")

        // A cut result's note under the table does not count towards its width.
        var capped = notes
        capped.rows = [[.number("1"), .text("short")]]
        capped.truncated = true
        session = ReplSession(backend: CannedBackend(["profiles": .success(capped)]))
        session.timing = false
        session.terminalWidth = 80
        let table = await session.handle(.statement("profiles"))
        #expect(table.results?.hasPrefix(" id") == true && table.results?.contains("cut at the row cap") == true, "\(table)")
        // In csv the data stays clean and the note comes beside it.
        _ = await session.handle(.command("\\format csv"))
        let csv = await session.handle(.statement("profiles"))
        #expect(csv.results == "id,note\r\n1,short" && csv.message?.contains("cut at the row cap") == true, "\(csv)")
    }

    @Test func formatsExpandedOutputAndTiming() async {
        let backend = CannedBackend(["profiles | group by plan": .success(Self.plans)])
        var session = ReplSession(backend: backend)
        session.timing = false
        #expect(session.prompt == "acme=> ")
        let table = await session.handle(.statement("profiles | group by plan"))
        #expect(table.results == """
             plan          │ n
             text          │ number
             ──────────────┼───────
             pro           │     12
             free, "basic" │    3.5
            (2 rows)
            """)
        #expect(await session.handle(.command("\\format csv")).message == "format is csv")
        #expect(await session.handle(.statement("profiles | group by plan")).results == "plan,n\r\npro,12\r\n\"free, \"\"basic\"\"\",3.50")
        _ = await session.handle(.command("\\format ndjson"))
        #expect(await session.handle(.statement("profiles | group by plan")).results == "{\"plan\":\"pro\",\"n\":12}\n{\"plan\":\"free, \\\"basic\\\"\",\"n\":3.5}")
        _ = await session.handle(.command("\\format table"))
        #expect(await session.handle(.command("\\x")).message == "expanded display is on")
        let expanded = await session.handle(.statement("profiles | group by plan")).results ?? ""
        #expect(expanded.hasPrefix("-[ RECORD 1 ]"), "\(expanded)")
        #expect(expanded.contains("plan │ free, \"basic\""))
        #expect(await session.handle(.command("\\timing")).message == "timing is on")
        _ = await session.handle(.command("\\x"))
        let timed = await session.handle(.statement("profiles | group by plan")).results ?? ""
        #expect(timed.contains("(2 rows, ") && timed.hasSuffix(" ms)"), "\(timed)")
    }

    @Test func failuresAreMessagesAndTheSessionGoesOn() async {
        let backend = CannedBackend([
            "count profiles": .failure(.connection("the server at http://x could not be reached")),
            "show segments": .success(QueryResult(columns: [ResultColumn(name: "name", type: .text)], rows: [[.text("buyers")]])),
        ])
        var session = ReplSession(backend: backend)
        let lost = await session.handle(.statement("count profiles"))
        #expect(lost.failed && lost.message == "error: the server at http://x could not be reached")
        #expect(await session.handle(.command("\\bogus")).failed)
        #expect(await session.handle(.command("\\help nonsense")).message == "error: no help on `nonsense`; \\help lists the topics")
        #expect(await session.handle(.command("\\help funnel")).message?.contains("funnel NAME = STEP -> STEP") == true)
        #expect(await session.handle(.command("\\q")).quit)
    }

    @Test func commandsBecomeStatements() async {
        let answer = QueryResult(columns: [ResultColumn(name: "x", type: .text)], rows: [])
        let backend = CannedBackend(["describe buyers": .success(answer), "describe `Order Completed`": .success(answer),
                                     "explain count profiles": .success(QueryResult(columns: [], rows: [], sql: "SELECT 1", binds: ["$1"]))])
        var session = ReplSession(backend: backend)
        _ = await session.handle(.command("\\d buyers"))
        _ = await session.handle(.command("\\d Order Completed"))
        let explained = await session.handle(.command("\\explain count profiles"))
        #expect(backend.sent == ["describe buyers", "describe `Order Completed`", "explain count profiles"])
        #expect(explained.results == "SELECT 1\n-- $1 = $1")
    }

    @Test func aProfileCardHasIdentitiesTraitsWithSourcesSegmentsAndEvents() async {
        let member = QueryResult(columns: [ResultColumn(name: "s0", type: .boolean), ResultColumn(name: "s1", type: .boolean)],
                                 rows: [[.boolean(true), .boolean(false)]])
        let events = QueryResult(columns: [ResultColumn(name: "name", type: .text)], rows: [[.text("Order Completed")]])
        let backend = CannedBackend(["profiles | where id = 7 | select s0 = in buyers, s1 = in big": .success(member),
                                     "events | where profile_id = 7 | order by ts desc | limit 10": .success(events)])
        var session = ReplSession(backend: backend)
        await session.refreshCatalog()
        let card = await session.handle(.command("\\profile email:ada@example.com"))
        #expect(card.results == """
            profile 7

            identities
             kind  │ value           │ source │ last_seen
             text  │ text            │ text   │ timestamp
             ──────┼─────────────────┼────────┼────────────────────
             email │ ada@example.com │ web    │ 2024-02-01 10:00:00
            (1 row)

            traits
             trait │ value │ source │ at
             text  │ text  │ text   │ timestamp
             ──────┼───────┼────────┼────────────────────
             plan  │ "pro" │ crm    │ 2024-01-15 08:00:00
             seats │ 12    │ null   │ null
            (2 rows)

            segments: buyers

            latest events
             name
             text
             ───────────────
             Order Completed
            (1 row)
            """, "\(card)")
        #expect(await session.handle(.command("\\profile 8")).message == "no profile matches 8")
        #expect(await session.handle(.command("\\profile ada")).failed)
    }

    @Test func outputGoesToAFileAndBack() async throws {
        var session = ReplSession(backend: CannedBackend([:]))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("repl-\(UUID().uuidString).txt").path
        #expect(await session.handle(.command("\\o \(path)")).message == "results go to \(path)")
        #expect(session.outputPath == path && FileManager.default.fileExists(atPath: path))
        #expect(await session.handle(.command("\\o /nonexistent/folder/x.txt")).failed)
        #expect(session.outputPath == path)
        _ = await session.handle(.command("\\o"))
        #expect(session.outputPath == nil)
        try? FileManager.default.removeItem(atPath: path)
    }
}

@Suite struct CompleterTests {
    static let catalog = CompletionCatalog(
        traits: ["plan", "country", "last_login_day"], events: ["Order Completed", "Added to Cart", "signup"],
        properties: ["Order Completed": ["revenue", "currency"], "signup": ["method"]], identityKinds: ["email", "user_id", "phone"],
        segments: ["buyers", "big"], metrics: ["spent"], funnels: ["checkout"])
    let completer = Completer(catalog: catalog)

    @Test func keywordsTraitsAndSavedNames() {
        #expect(completer.complete("profiles | wh").candidates == ["where"])
        #expect(completer.complete("profiles | where pl").candidates == ["plan"])
        #expect(completer.complete("count segment b").candidates == ["before", "between", "big", "buyers", "by"])
        #expect(completer.complete("show funnel che").candidates == ["checkout"])
        #expect(completer.complete("profiles | where ema").candidates == ["email"])
        #expect(completer.complete("profiles | select sp").candidates == ["spent"])
        #expect(completer.complete("profiles | where pl").start == "profiles | where ".utf8.count)
    }

    @Test func eventNamesWithSpacesComeQuoted() {
        #expect(completer.complete("profiles | where did `Ord").candidates == ["`Order Completed`"])
        #expect(completer.complete("profiles | where did `Ord").start == "profiles | where did ".utf8.count)
        #expect(completer.complete("profiles | where did A").candidates == ["`Added to Cart`"])
        #expect(completer.complete("profiles | where did Added").start == "profiles | where did ".utf8.count)
        #expect(completer.complete("profiles | where did sig").candidates == ["signup"])
    }

    @Test func propertiesAfterAnEventsDot() {
        #expect(completer.complete("profiles | where sum(`Order Completed`.re").candidates == ["revenue"])
        #expect(completer.complete("profiles | where did signup where signup.").candidates == ["method"])
    }

    @Test func commandsAndTheirArguments() {
        #expect(completer.complete("\\fo").candidates == ["\\format"])
        #expect(completer.complete("\\format j").candidates == ["json"])
        #expect(completer.complete("\\d bu").candidates == ["buyers"])
        #expect(Completer.commonPrefix(["buyers", "bucket"]) == "bu")
    }

    @Test func fromTheCheckersCatalogue() {
        let snapshot = CatalogSnapshot(
            entries: [.init(kind: "trait", name: "plan", type: "text"), .init(kind: "event", name: "Order Completed", type: "event"),
                      .init(kind: "property", name: "Order Completed.revenue", type: "number"),
                      // A track event named like the page type: one entry, not a crash.
                      .init(kind: "event", name: "page", type: "event")],
            identityKinds: [IdentityKindInfo(name: "email", normalization: "email")],
            definitions: [Definition(kind: .segment, name: "buyers", source: "profiles"), Definition(kind: .funnel, name: "checkout", source: "a -> b"),
                          Definition(kind: .setting, name: "value.discount", source: "8%")])
        let catalog = CompletionCatalog(snapshot)
        #expect(catalog.traits == ["plan"] && catalog.events == ["Order Completed", "page"] && catalog.identityKinds == ["email"])
        #expect(catalog.properties["Order Completed"] == ["revenue"])
        #expect(catalog.segments == ["buyers"] && catalog.funnels == ["checkout"] && catalog.metrics.isEmpty)
    }
}
