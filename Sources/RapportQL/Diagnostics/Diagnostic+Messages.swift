/// All wording of the parser's and the checker's diagnostics, in one place. Messages are
/// lowercase without a full stop, names in backticks; hints are suggestions.
extension Diagnostic {
    static func describe(_ token: Token) -> String {
        switch token.kind {
        case .end: return "the end of the query"
        case .string: return "a string"
        case .quotedName: return "`\(token.text)`"
        default: return "`\(token.text)`"
        }
    }

    // MARK: Lexical

    static func unknownUnit(_ unit: String, _ range: SourceRange) -> Diagnostic {
        Diagnostic(code: "bad-number", message: "unknown unit `\(unit)` after a number", range: range,
                   hint: "durations are written 90d, 2w, 12h, 30min, 3mo, 1y or 90 days")
    }

    static func badUnicodeEscape(_ range: SourceRange) -> Diagnostic {
        Diagnostic(code: "bad-escape", message: "`\\u{…}` needs a hexadecimal code point", range: range)
    }

    static func unknownEscape(_ character: Character, _ range: SourceRange) -> Diagnostic {
        Diagnostic(code: "bad-escape", message: "unknown escape `\\\(character)`", range: range,
                   hint: "escapes are \\\", \\', \\\\, \\n, \\t and \\u{…}")
    }

    static func nulCharacter(inName: Bool, _ range: SourceRange) -> Diagnostic {
        Diagnostic(code: "nul-character", message: "\(inName ? "a name" : "a string") cannot hold the NUL character", range: range)
    }

    static func unterminated(name: Bool, _ range: SourceRange) -> Diagnostic {
        Diagnostic(code: name ? "unterminated-name" : "unterminated-string",
                   message: name ? "a backticked name is not closed" : "a string is not closed", range: range)
    }

    static func unexpectedCharacter(_ text: String, _ range: SourceRange) -> Diagnostic {
        Diagnostic(code: "unexpected-character", message: "unexpected character `\(text)`", range: range)
    }

    // MARK: Syntax

    static func expected(_ what: String, found token: Token, hint: String? = nil) -> Diagnostic {
        Diagnostic(code: "expected", message: "expected \(what), found \(describe(token))", range: token.range, hint: hint)
    }

    static func unknownStage(_ token: Token) -> Diagnostic {
        Diagnostic(code: "unknown-stage", message: "unknown stage \(describe(token))", range: token.range,
                   hint: suggestion(for: token.text, among: ["where", "select", "order", "limit", "group", "count"])
                       ?? "stages are where, select, order by, limit, group by and count")
    }

    static func unknownStatement(_ token: Token) -> Diagnostic {
        let words = ["profiles", "events", "segment", "count", "metric", "funnel", "lifecycle", "set", "show",
                     "describe", "drop", "explain", "sync"]
        return Diagnostic(code: "unknown-statement", message: "a statement cannot start with \(describe(token))",
                          range: token.range,
                          hint: suggestion(for: token.text, among: words) ?? "a query starts with profiles, events or segment NAME")
    }

    static func badLimit(_ token: Token) -> Diagnostic {
        Diagnostic(code: "bad-limit", message: "`\(token.text)` is not a whole number of rows", range: token.range)
    }

    static func badDuration(_ range: SourceRange, _ text: String) -> Diagnostic {
        Diagnostic(code: "bad-duration", message: "`\(text)` is not a duration", range: range,
                   hint: "write 90 days, 2 weeks, 12 hours, 30 minutes, 3 months, 1 year or 90d, 2w, 12h, 30min, 3mo, 1y")
    }

    static func tooDeep(_ range: SourceRange) -> Diagnostic {
        Diagnostic(code: "too-deep", message: "this expression nests too deeply", range: range,
                   hint: "RQL follows at most \(Parser.maxNesting) levels of parentheses and \(Parser.maxDepth) operators deep")
    }

    static func tooMany(_ what: String, limit: Int, _ range: SourceRange, hint: String? = nil) -> Diagnostic {
        Diagnostic(code: "too-many-\(what.replacingOccurrences(of: " ", with: "-"))",
                   message: "a query may have at most \(NumberText.grouped(limit)) \(what)", range: range, hint: hint)
    }

    static func tooLong(_ what: String, limit: Int, _ range: SourceRange) -> Diagnostic {
        Diagnostic(code: "too-long", message: "\(what) may be at most \(NumberText.grouped(limit)) bytes long", range: range)
    }

    static func tooComplex(_ range: SourceRange) -> Diagnostic {
        Diagnostic(code: "too-complex",
                   message: "the saved metrics and segments this uses, each use counted, come to more than \(NumberText.grouped(RQL.Limits.expandedBytes)) bytes",
                   range: range, hint: "use fewer saved definitions inside each other, or each fewer times")
    }

    static func tooManyProblems(_ more: Int, _ range: SourceRange) -> Diagnostic {
        Diagnostic(code: "too-many-problems", message: "\(NumberText.grouped(more)) more problem\(more == 1 ? "" : "s") not shown", range: range,
                   hint: "fix the problems above first")
    }

    static func tooManyValues(_ range: SourceRange) -> Diagnostic {
        Diagnostic(code: "too-many-values", message: "a list may hold at most 1,000 values", range: range,
                   hint: "save the people as a segment instead")
    }

    static func extraInput(_ token: Token) -> Diagnostic {
        Diagnostic(code: "expected", message: "expected `;` or `|` before \(describe(token))", range: token.range)
    }

    // MARK: Names

    /// "did you mean `x`?" for the candidate closest to `name`, if one is close enough.
    static func suggestion(for name: String, among candidates: some Sequence<String>) -> String? {
        EditDistance.closest(to: name, among: candidates).map { "did you mean `\($0)`?" }
    }
}

/// The checker's wording.
extension Diagnostic {
    static func typeName(_ type: FieldType?) -> String {
        switch type {
        case .text: "text"
        case .number: "a number"
        case .boolean: "a boolean"
        case .timestamp: "a timestamp"
        case .duration: "a duration"
        case .null, nil: "null"
        }
    }

    static func badSetting(_ range: SourceRange, _ message: String, hint: String? = nil) -> Diagnostic {
        Diagnostic(code: "bad-setting", message: message, range: range, hint: hint)
    }

    static func brokenStageRule(_ range: SourceRange, stage: String) -> Diagnostic {
        Diagnostic(code: "broken-definition", message: "the saved rule of lifecycle stage `\(stage)` no longer checks against the catalogue",
                   range: range, hint: "define it again: `lifecycle stage \(stage) = …`")
    }

    static func badFunnel(_ range: SourceRange, _ message: String, hint: String? = nil) -> Diagnostic {
        Diagnostic(code: "bad-funnel", message: message, range: range, hint: hint)
    }

    static func unknownField(_ name: Name, candidates: [String]) -> Diagnostic {
        Diagnostic(code: "unknown-field", message: "unknown field `\(name.text)`", range: name.range,
                   hint: suggestion(for: name.text, among: candidates))
    }

    static func unknownName(_ name: Name, candidates: [String]) -> Diagnostic {
        Diagnostic(code: "unknown-name", message: "no segment, metric, trait or event is called `\(name.text)`", range: name.range,
                   hint: suggestion(for: name.text, among: candidates))
    }

    static func unknownColumn(_ name: Name, columns: [String]) -> Diagnostic {
        Diagnostic(code: "unknown-column", message: "unknown column `\(name.text)`", range: name.range,
                   hint: suggestion(for: name.text, among: columns)
                       ?? "here the columns are \(columns.map { "`\($0)`" }.joined(separator: ", "))")
    }

    static func unknownEvent(_ name: Name, candidates: [String]) -> Diagnostic {
        Diagnostic(code: "unknown-event", message: "unknown event `\(name.text)`", range: name.range,
                   hint: suggestion(for: name.text, among: candidates))
    }

    static func unknownProperty(_ name: Name, event: String?, candidates: [String]) -> Diagnostic {
        let owner = event.map { "event `\($0)`" } ?? "any event"
        return Diagnostic(code: "unknown-property", message: "\(owner) has no property `\(name.text)`", range: name.range,
                          hint: suggestion(for: name.text, among: candidates))
    }

    static func unknownDefinition(_ name: Name, kind: String, candidates: [String]) -> Diagnostic {
        Diagnostic(code: "unknown-\(kind)", message: "no \(kind) is called `\(name.text)`", range: name.range,
                   hint: suggestion(for: name.text, among: candidates))
    }

    static func badDefinitionName(_ name: Name) -> Diagnostic {
        Diagnostic(code: "bad-name", message: "`\(name.text)` cannot name a definition", range: name.range,
                   hint: "use letters, digits and `_`, starting with a letter (at most 63)")
    }

    static func nameTaken(_ name: Name, by owner: String) -> Diagnostic {
        Diagnostic(code: "name-taken", message: "`\(name.text)` is already \(owner)", range: name.range)
    }

    // MARK: Syncs

    static func unknownDestination(_ name: Name, candidates: [String]) -> Diagnostic {
        Diagnostic(code: "unknown-destination", message: "no destination is called `\(name.text)`", range: name.range,
                   hint: suggestion(for: name.text, among: candidates)
                       ?? (candidates.isEmpty ? "add one first: `rapport destinations add` or POST /v1/destinations" : nil))
    }

    static func notAnAudience(_ range: SourceRange, _ reason: String) -> Diagnostic {
        Diagnostic(code: "not-an-audience", message: reason, range: range)
    }

    static func duplicateOption(_ range: SourceRange, _ what: String) -> Diagnostic {
        Diagnostic(code: "duplicate-option", message: "\(what) is given twice", range: range, hint: "give each option once")
    }

    static func tooOften(_ range: SourceRange) -> Diagnostic {
        Diagnostic(code: "too-often", message: "a sync runs at most every 5 minutes", range: range,
                   hint: "write `every 5 minutes` or more, or `manually` and run it on demand")
    }

    static func badSegment(_ range: SourceRange, _ reason: String) -> Diagnostic {
        Diagnostic(code: "bad-segment", message: reason, range: range)
    }

    static func definitionCycle(_ name: Name, through chain: [String]) -> Diagnostic {
        Diagnostic(code: "definition-cycle", message: "`\(name.text)` would use itself (\((chain + [name.text]).map { "`\($0)`" }.joined(separator: " -> ")))",
                   range: name.range)
    }

    static func brokenDefinition(_ name: Name, kind: String) -> Diagnostic {
        Diagnostic(code: "broken-definition", message: "saved \(kind) `\(name.text)` no longer checks against the catalogue",
                   range: name.range, hint: "`describe \(name.text)` shows it; define it again")
    }

    static func notACondition(_ range: SourceRange, what: String, found: FieldType) -> Diagnostic {
        Diagnostic(code: "type-mismatch", message: "\(what) needs a condition, found \(typeName(found))", range: range)
    }

    static func typeMismatch(_ range: SourceRange, op: String, left: FieldType, right: FieldType) -> Diagnostic {
        Diagnostic(code: "type-mismatch", message: "cannot use `\(op)` on \(typeName(left)) and \(typeName(right))", range: range)
    }

    static func badOperand(_ range: SourceRange, op: String, found: FieldType) -> Diagnostic {
        Diagnostic(code: "type-mismatch", message: "cannot use `\(op)` on \(typeName(found))", range: range)
    }

    static func badArithmetic(_ range: SourceRange, op: String, left: FieldType, right: FieldType) -> Diagnostic {
        Diagnostic(code: "type-mismatch", message: "cannot use `\(op)` on \(typeName(left)) and \(typeName(right))", range: range,
                   hint: "arithmetic is on numbers, timestamps and durations")
    }

    static func patternNotLiteral(_ range: SourceRange) -> Diagnostic {
        Diagnostic(code: "bad-pattern", message: "`matches` needs a regular expression written as a string", range: range)
    }

    static func badPattern(_ range: SourceRange) -> Diagnostic {
        Diagnostic(code: "bad-pattern", message: "this regular expression does not compile", range: range,
                   hint: "RQL takes POSIX extended regular expressions with \\d \\s \\w classes and counts up to {255}")
    }

    static func badTime(_ range: SourceRange, _ text: String) -> Diagnostic {
        Diagnostic(code: "bad-time", message: "`\(text)` is not a valid date or time", range: range)
    }

    static func notATime(_ range: SourceRange, found: FieldType?) -> Diagnostic {
        Diagnostic(code: "type-mismatch", message: "a window needs a time (a date, a timestamp, `now` or `today`)", range: range,
                   hint: found.map { "found \(typeName($0))" })
    }

    static func badNumber(_ range: SourceRange) -> Diagnostic {
        Diagnostic(code: "bad-number", message: "this percentage has too many digits", range: range)
    }

    static func durationTooLong(_ range: SourceRange) -> Diagnostic {
        Diagnostic(code: "bad-duration", message: "a duration may be at most 1,000 years", range: range)
    }

    static func constantKey(_ range: SourceRange, what: String) -> Diagnostic {
        Diagnostic(code: "constant-key", message: "\(what) a constant changes nothing", range: range, hint: "name a field")
    }

    static func nullHasNoType(_ range: SourceRange) -> Diagnostic {
        Diagnostic(code: "type-mismatch", message: "`null` here is always null", range: range, hint: "compare with `is null`")
    }

    static func fieldOutsideAggregate(_ range: SourceRange) -> Diagnostic {
        Diagnostic(code: "not-an-aggregate", message: "a field in `group by … select` must be inside an aggregate", range: range,
                   hint: "the group's keys are already columns")
    }

    static func notOrderable(_ range: SourceRange, function: String) -> Diagnostic {
        Diagnostic(code: "type-mismatch", message: "`\(function)` needs numbers, text or timestamps, found a boolean", range: range)
    }

    static func eventAggregateMisplaced(_ range: SourceRange) -> Diagnostic {
        Diagnostic(code: "misplaced-aggregate", message: "event aggregates, `did` and `in` apply to profiles, not here", range: range,
                   hint: "use them on `profiles` before `select` or `group by`")
    }

    static func propertyNeedsAggregate(_ range: SourceRange, event: String, property: String) -> Diagnostic {
        Diagnostic(code: "needs-aggregate", message: "`\(event).\(property)` is a property of many events", range: range,
                   hint: "aggregate it: sum(\(event).\(property)), last(\(event)).\(property)")
    }

    static func eventNeedsAggregate(_ name: Name) -> Diagnostic {
        Diagnostic(code: "needs-aggregate", message: "`\(name.text)` is an event, not a field", range: name.range,
                   hint: "write did \(name.text) or count(\(name.text))")
    }

    static func countRowsOutsideGroup(_ range: SourceRange) -> Diagnostic {
        Diagnostic(code: "misplaced-aggregate", message: "`count()` counts the rows of a group", range: range,
                   hint: "use it in `group by … select`; to count a profile's events write count(EVENT)")
    }

    static func rowAggregateOutsideGroup(_ range: SourceRange) -> Diagnostic {
        Diagnostic(code: "misplaced-aggregate", message: "an aggregate over rows needs `group by`", range: range)
    }

    static func notAnAggregate(_ range: SourceRange) -> Diagnostic {
        Diagnostic(code: "not-an-aggregate", message: "`group by … select` takes aggregates such as count() or sum(x)", range: range,
                   hint: "the group's keys are already columns")
    }

    static func expectedEvent(_ range: SourceRange) -> Diagnostic {
        Diagnostic(code: "expected-event", message: "expected an event, `EVENT.property` or `any`", range: range)
    }

    static func badMember(_ name: Name, function: String) -> Diagnostic {
        Diagnostic(code: "bad-member", message: "`.\(name.text)` cannot follow `\(function)(…)`", range: name.range,
                   hint: "only first(…) and last(…) pick a field of one event")
    }

    static func aggregateNeedsProperty(_ range: SourceRange, function: String) -> Diagnostic {
        Diagnostic(code: "needs-property", message: "`\(function)` needs a property to add up", range: range,
                   hint: "write \(function)(EVENT.property)")
    }

    static func aggregateNeedsNumber(_ range: SourceRange, function: String, found: FieldType) -> Diagnostic {
        Diagnostic(code: "type-mismatch", message: "`\(function)` needs numbers, found \(typeName(found))", range: range)
    }

    static func groupArgumentTooComplex(_ range: SourceRange) -> Diagnostic {
        Diagnostic(code: "bad-aggregate", message: "an aggregate over rows takes an expression, without `where` or a window", range: range)
    }

    static func firstLastInGroup(_ range: SourceRange, function: String) -> Diagnostic {
        Diagnostic(code: "bad-aggregate", message: "`\(function)` picks one event of a profile, not a value of a group", range: range,
                   hint: "use min(…) or max(…)")
    }
}

/// Numbers as messages write them: `12,345`, thousands separated by commas (also the
/// server's error messages).
public enum NumberText {
    public static func grouped(_ number: Int) -> String {
        let digits = String(number.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return (number < 0 ? "-" : "") + out
    }
}
