import Testing
@testable import RapportQL

/// Diagnostics pinned exactly: code, message, hint and range. In the test source `⟨…⟩` marks
/// where each diagnostic must point (the markers are removed before compiling).
@Suite struct DiagnosticsTests {
    struct Expected {
        var code: String
        var message: String
        var hint: String? = nil
    }

    /// `marked` without its markers, and the UTF-8 ranges they enclosed.
    func unmark(_ marked: String) -> (String, [SourceRange]) {
        var text = ""
        var ranges: [SourceRange] = []
        var start = 0
        for character in marked {
            switch character {
            case "⟨": start = text.utf8.count
            case "⟩": ranges.append(SourceRange(start, text.utf8.count))
            default: text.append(character)
            }
        }
        return (text, ranges)
    }

    func check(_ marked: String, _ expected: [Expected], catalog: CatalogSnapshot = Fixtures.catalog,
               sourceLocation: SourceLocation = #_sourceLocation) {
        let (text, ranges) = unmark(marked)
        let diagnostics = RQL.check(text, catalog: catalog).diagnostics
        #expect(diagnostics.count == expected.count, "\(diagnostics.map(\.message))", sourceLocation: sourceLocation)
        for (index, (diagnostic, want)) in zip(diagnostics, expected).enumerated() {
            #expect(diagnostic.code == want.code, sourceLocation: sourceLocation)
            #expect(diagnostic.message == want.message, sourceLocation: sourceLocation)
            #expect(diagnostic.hint == want.hint, sourceLocation: sourceLocation)
            if index < ranges.count { #expect(diagnostic.range == ranges[index], sourceLocation: sourceLocation) }
        }
    }

    @Test func theLanguageGuideExampleToTheCharacter() {
        let text = "profiles\n| where contry = \"DE\""
        let diagnostics = RQL.check(text, catalog: Fixtures.catalog).diagnostics
        #expect(diagnostics.map { DiagnosticRenderer.render($0, in: SourceText(text)) } == ["""
            error: unknown field `contry` (did you mean `country`?)
              --> 2:9
               |
             2 | | where contry = "DE"
               |         ^^^^^^
            """])
    }

    @Test func unknownNamesSuggestTheNearestKnownOne() {
        check("profiles | where ⟨contry⟩ = \"DE\"", [Expected(code: "unknown-field", message: "unknown field `contry`", hint: "did you mean `country`?")])
        check("count profiles where did ⟨purchse⟩", [Expected(code: "unknown-event", message: "unknown event `purchse`", hint: "did you mean `purchase`?")])
        check("profiles | select s = sum(purchase.⟨amout⟩)",
              [Expected(code: "unknown-property", message: "event `purchase` has no property `amout`", hint: "did you mean `amount`?")])
        check("profiles | where ⟨zzzzzz⟩ = 1", [Expected(code: "unknown-field", message: "unknown field `zzzzzz`")])
        check("count segment ⟨vipp⟩", [Expected(code: "unknown-segment", message: "no segment is called `vipp`", hint: "did you mean `vip`?")],
              catalog: Fixtures.catalog(with: [Definition(kind: .segment, name: "vip", source: "profiles | where plan = \"pro\"")]))
    }

    @Test func severalProblemsAtOnce() {
        check("profiles | where ⟨contry⟩ = \"DE\" and ⟨plan = 3⟩ | order by did ⟨nothing⟩", [
            Expected(code: "unknown-field", message: "unknown field `contry`", hint: "did you mean `country`?"),
            Expected(code: "type-mismatch", message: "cannot use `=` on text and a number"),
            Expected(code: "unknown-event", message: "unknown event `nothing`"),
        ])
        // Syntax: each bad stage is reported, and the parser carries on past it.
        check("profiles | ⟨selct⟩ email | where plan = \"pro\" | limit ⟨x⟩", [
            Expected(code: "unknown-stage", message: "unknown stage `selct`", hint: "did you mean `select`?"),
            Expected(code: "expected", message: "expected a number of rows, found `x`"),
        ])
    }

    @Test func aBadStatementDoesNotHideTheProblemsOfTheNext() {
        check("profiles | ⟨selct⟩ email; count profiles where ⟨plna⟩ = \"pro\"", [
            Expected(code: "unknown-stage", message: "unknown stage `selct`", hint: "did you mean `select`?"),
            Expected(code: "unknown-field", message: "unknown field `plna`", hint: "did you mean `plan`?"),
        ])
    }

    @Test func typeErrorsNameBothSides() {
        check("count profiles where ⟨age = \"forty\"⟩", [Expected(code: "type-mismatch", message: "cannot use `=` on a number and text")])
        check("profiles | where ⟨plan⟩", [Expected(code: "type-mismatch", message: "`where` needs a condition, found text")])
        check("profiles | select x = ⟨plan + 1⟩", [
            Expected(code: "type-mismatch", message: "cannot use `+` on text and a number", hint: "arithmetic is on numbers, timestamps and durations"),
        ])
        check("profiles | select s = ⟨sum(purchase.currency)⟩", [Expected(code: "type-mismatch", message: "`sum` needs numbers, found text")])
        check("profiles | select s = ⟨sum(purchase)⟩", [
            Expected(code: "needs-property", message: "`sum` needs a property to add up", hint: "write sum(EVENT.property)"),
        ])
    }

    @Test func eventsNeedAggregates() {
        check("profiles | select ⟨purchase.amount⟩", [
            Expected(code: "needs-aggregate", message: "`purchase.amount` is a property of many events",
                     hint: "aggregate it: sum(purchase.amount), last(purchase).amount"),
        ])
        check("profiles | where ⟨count()⟩ > 1", [
            Expected(code: "misplaced-aggregate", message: "`count()` counts the rows of a group",
                     hint: "use it in `group by … select`; to count a profile's events write count(EVENT)"),
        ])
        check("profiles | select email | order by ⟨plan⟩", [
            Expected(code: "unknown-column", message: "unknown column `plan`", hint: "here the columns are `email`"),
        ])
    }

    @Test func literalsAreValidated() {
        check("count profiles where first(signup).ts < ⟨2024-02-30⟩", [Expected(code: "bad-time", message: "`2024-02-30` is not a valid date or time")])
        check("count profiles where email matches ⟨\"(\"⟩", [
            Expected(code: "bad-pattern", message: "this regular expression does not compile",
                     hint: "RQL takes POSIX extended regular expressions with \\d \\s \\w classes and counts up to {255}"),
        ])
        check("count profiles where plan = ⟨\"pro⟩", [Expected(code: "unterminated-string", message: "a string is not closed")])
        check("count profiles where did login since ⟨plan⟩", [
            Expected(code: "type-mismatch", message: "a window needs a time (a date, a timestamp, `now` or `today`)"),
        ])
        check("count profiles where did login within ⟨5⟩ parsecs", [
            Expected(code: "expected", message: "expected a duration such as `90 days` or `2w`, found `5`"),
        ])
    }

    @Test func funnelMistakesAreNamed() {
        check("⟨funnel f = signup⟩", [Expected(code: "bad-funnel", message: "a funnel needs at least two steps (`a -> b`)")])
        check("funnel f = optional ⟨signup⟩ -> purchase", [
            Expected(code: "bad-funnel", message: "the first step is the entry and cannot be optional"),
        ])
        check("funnel f = signup within ⟨1 day⟩ -> purchase", [
            Expected(code: "bad-funnel", message: "the first step has no previous step to be within a time of"),
        ])
        check("funnel f = signup -> purchase within ⟨1 day⟩ -> login order any", [
            Expected(code: "bad-funnel", message: "in `order any` steps have no order, so no step can be within a time of the previous one",
                     hint: "give the whole funnel a window instead (`… within 7 days`)"),
        ])
        check("funnel f = signup -> ⟨purchace⟩", [
            Expected(code: "unknown-event", message: "unknown event `purchace`", hint: "did you mean `purchase`?"),
        ])
        check("funnel f = signup -> purchase by plan attribute step ⟨3⟩", [
            Expected(code: "bad-funnel", message: "the funnel has steps 1 to 2"),
        ])
        check("funnel f = signup -> purchase within 1 day entry ⟨last⟩", [
            Expected(code: "expected", message: "expected `every` or `first` (which step-1 events start an attempt), found `last`"),
        ])
        check("funnel f = signup -> purchase within 1 day entry first entry ⟨every⟩", [
            Expected(code: "bad-funnel", message: "a funnel has one `entry`"),
        ])
        check("show funnel ⟨nope⟩", [Expected(code: "unknown-funnel", message: "no funnel is called `nope`")])
        check("funnel f = signup -> purchase; ⟨funnel f dropped at 2⟩ | count", [
            Expected(code: "bad-funnel", message: "`dropped at` names a step from 1 to 1: who reached it and went no further"),
        ])
    }

    @Test func valueSettingMistakesAreNamed() {
        check("set value ⟨revenu⟩ = purchase.amount", [
            Expected(code: "bad-setting", message: "there is no value setting `revenu`", hint: "did you mean `revenue`?"),
        ])
        check("set value revenue = purchase.⟨currency⟩", [
            Expected(code: "bad-setting", message: "`purchase.currency` is text, and a value is a number"),
        ])
        check("⟨set value tiers = 50%, 30%, 20%, 10%⟩", [
            Expected(code: "bad-setting", message: "the four tiers' shares add up to more than 100%"),
        ])
        check("set value discount = ⟨purchase⟩.amount", [
            Expected(code: "bad-setting", message: "`discount` is a percentage, not an event's property"),
        ])
        check("lifecycle stage ⟨loyal⟩ = did purchase", [
            Expected(code: "bad-setting", message: "there is no lifecycle stage `loyal`",
                     hint: "the stages are reach, acquisition, development, retention and inspire"),
        ])
        check("lifecycle stage retention = ⟨orders + 1⟩", [
            Expected(code: "type-mismatch", message: "a lifecycle stage needs a condition, found a number"),
        ])
        let broken = Fixtures.catalog(with: [Definition(kind: .stage, name: "stage.inspire", source: "did gone_event")])
        check("count profiles where ⟨stage⟩ = \"inspire\"", [
            Expected(code: "broken-definition", message: "the saved rule of lifecycle stage `inspire` no longer checks against the catalogue",
                     hint: "define it again: `lifecycle stage inspire = …`"),
        ], catalog: broken)
        check("count profiles where ⟨tier > 3⟩", [
            Expected(code: "type-mismatch", message: "cannot use `>` on text and a number"),
        ])
    }

    @Test func definitionsCannotLoopOrShadow() {
        let catalog = Fixtures.catalog(with: [
            Definition(kind: .segment, name: "a", source: "profiles | where in b"),
            Definition(kind: .segment, name: "b", source: "profiles | where plan = \"pro\""),
        ])
        check("segment b = profiles | where in ⟨a⟩", [
            Expected(code: "broken-definition", message: "saved segment `a` no longer checks against the catalogue",
                     hint: "`describe a` shows it; define it again"),
        ], catalog: catalog)
        check("metric ⟨plan⟩ = count(purchase)", [Expected(code: "name-taken", message: "`plan` is already a trait")])
        check("segment ⟨`my segment`⟩ = profiles", [
            Expected(code: "bad-name", message: "`my segment` cannot name a definition",
                     hint: "use letters, digits and `_`, starting with a letter (at most 63)"),
        ])
    }
}
