/// Turns tokens into a syntax tree (Grammar/rql.ebnf). The parser never throws: a problem
/// becomes a diagnostic, the parser skips to the next stage (`|`) or statement (`;`) and
/// carries on, so one run reports every independent mistake.
public struct Parser {
    var tokens: [Token]
    var position = 0
    var diagnostics: [Diagnostic] = []
    /// How many expressions the parser is inside (parentheses, `not`, aggregates).
    var nesting = 0
    /// Whether the query being read is a sync's audience, which its options may follow.
    var inSync = false
    static let syncOptionWords: Set<String> = ["every", "manually", "backfill", "no", "send"]

    /// The deepest nesting the parser follows, and the deepest expression tree it passes on.
    static let maxNesting = 32
    static let maxDepth = 200

    /// Unwinds to the nearest stage or statement after a diagnostic was recorded.
    struct Failure: Error {}

    public static func parse(_ tokens: [Token]) -> (script: Script, diagnostics: [Diagnostic]) {
        var parser = Parser(tokens: tokens.isEmpty ? [Token(.end, "", SourceRange(0, 0))] : tokens)
        let script = parser.parseScript()
        return (script, parser.diagnostics)
    }

    /// Words that cannot be a bare field name (backtick them to use them as names).
    static let reserved: Set<String> = [
        "where", "select", "order", "by", "limit", "offset", "group", "and", "or", "not", "in", "is", "null",
        "true", "false", "now", "today", "contains", "starts", "matches", "within", "since", "between", "did",
        "asc", "desc",
    ]

    // MARK: Token cursor

    var current: Token { tokens[position] }
    func peek(_ offset: Int = 1) -> Token { tokens[min(position + offset, tokens.count - 1)] }
    var atEnd: Bool { current.kind == .end }

    @discardableResult
    mutating func advance() -> Token {
        let token = current
        if position < tokens.count - 1 { position += 1 }
        return token
    }

    mutating func accept(keyword: String) -> Token? {
        current.isKeyword(keyword) ? advance() : nil
    }

    mutating func accept(symbol: String) -> Token? {
        current.isSymbol(symbol) ? advance() : nil
    }

    mutating func expect(keyword: String) throws(Failure) -> Token {
        if let token = accept(keyword: keyword) { return token }
        throw fail(.expected("`\(keyword)`", found: current))
    }

    mutating func expect(symbol: String, _ what: String? = nil) throws(Failure) -> Token {
        if let token = accept(symbol: symbol) { return token }
        throw fail(.expected(what ?? "`\(symbol)`", found: current))
    }

    mutating func fail(_ diagnostic: Diagnostic) -> Failure {
        diagnostics.append(diagnostic)
        return Failure()
    }

    /// The range from `start` to the end of the last consumed token.
    func range(from start: Int) -> SourceRange {
        SourceRange(start, position > 0 ? max(start, tokens[position - 1].range.end) : start)
    }

    /// A name: an identifier that is not reserved, or a backticked name.
    mutating func parseName(_ what: String = "a name") throws(Failure) -> Name {
        if current.kind == .quotedName {
            let token = advance()
            return Name(token.text, token.range, quoted: true)
        }
        if current.kind == .word, !Self.reserved.contains(current.text.lowercased()) {
            let token = advance()
            return Name(token.text, token.range)
        }
        throw fail(.expected(what, found: current))
    }

    var atName: Bool {
        current.kind == .quotedName || (current.kind == .word && !Self.reserved.contains(current.text.lowercased()))
    }

    /// Skips to just before the next `|`, `;` or the end (`stopAtBar`), or past the next `;`.
    mutating func skip(stopAtBar: Bool) {
        var depth = 0
        while !atEnd {
            if current.isSymbol("(") { depth += 1 }
            if current.isSymbol(")") { depth = max(0, depth - 1) }
            if current.isSymbol(";") { return }
            if stopAtBar, depth == 0, current.isSymbol("|") { return }
            advance()
        }
    }

    // MARK: Script

    mutating func parseScript() -> Script {
        var statements: [Statement] = []
        var count = 0
        while !atEnd {
            if accept(symbol: ";") != nil { continue }
            let start = current.range.start
            count += 1
            if count > RQL.Limits.statements {
                // The rest is not read at all: a script of a million statements costs no more.
                diagnostics.append(.tooMany("statements", limit: RQL.Limits.statements, current.range,
                                            hint: "send the rest as another script"))
                break
            }
            do {
                let kind = try parseStatement()
                let statement = Statement(kind: kind, range: range(from: start))
                if statement.expressions.contains(where: { $0.depth > Self.maxDepth }) {
                    throw fail(.tooDeep(statement.range))
                }
                statements.append(statement)
                if !atEnd, !current.isSymbol(";") {
                    throw fail(.extraInput(current))
                }
            } catch {
                skip(stopAtBar: false)
            }
        }
        return Script(statements: statements)
    }

    mutating func parseStatement() throws(Failure) -> Statement.Kind {
        let word = current.kind == .word ? current.text.lowercased() : ""
        switch word {
        case "profiles", "events":
            return .query(try parseQuery())
        case "segment":
            if peek(2).isSymbol("=") {
                advance()
                let name = try parseName("a segment name")
                _ = advance()
                return .segment(name, try parseQuery())
            }
            return .query(try parseQuery())
        case "funnel":
            if peek(2).isSymbol("=") {
                advance()
                let name = try parseName("a funnel name")
                _ = advance()
                return .funnel(name, try parseFunnel())
            }
            return .query(try parseQuery())
        case "count":
            return .query(try parseCountShorthand())
        case "sync":
            return try parseSync()
        case "metric":
            advance()
            let name = try parseName("a metric name")
            _ = try expect(symbol: "=")
            return .metric(name, try parseExpression())
        case "lifecycle":
            advance()
            _ = try expect(keyword: "stage")
            let stage = try parseName("a lifecycle stage (reach, acquisition, development, retention or inspire)")
            _ = try expect(symbol: "=")
            return .lifecycleStage(stage, try parseExpression())
        case "set":
            return try parseSetting()
        case "show":
            return try parseShow()
        case "describe":
            advance()
            return .describe(try parseName("a segment, metric, funnel or sync name"))
        case "drop":
            advance()
            let kindToken = current
            guard ["segment", "funnel", "metric", "sync"].contains(kindToken.text.lowercased()), kindToken.kind == .word else {
                throw fail(.expected("`segment`, `funnel`, `metric` or `sync`", found: kindToken))
            }
            advance()
            return .drop(Name(kindToken.text.lowercased(), kindToken.range), try parseName())
        case "explain":
            advance()
            let analyze = accept(keyword: "analyze") != nil
            if current.isKeyword("show") {
                let start = current
                guard case .report(let report) = try parseShow() else {
                    throw fail(.expected("a query or a report (`show tiers`, `show lifecycle`, `show funnel NAME` …)", found: start))
                }
                return .explainReport(analyze: analyze, report)
            }
            return .explain(analyze: analyze, current.isKeyword("count") ? try parseCountShorthand() : try parseQuery())
        default:
            throw fail(.unknownStatement(current))
        }
    }

    // MARK: Queries

    mutating func parseSource() throws(Failure) -> (Query.Source, SourceRange) {
        let start = current.range.start
        if accept(keyword: "profiles") != nil { return (.profiles, range(from: start)) }
        if accept(keyword: "events") != nil { return (.events, range(from: start)) }
        if accept(keyword: "segment") != nil { return (.segment(try parseName("a segment name")), range(from: start)) }
        if accept(keyword: "funnel") != nil {
            let name = try parseName("a funnel name")
            _ = try expect(keyword: "dropped")
            _ = try expect(keyword: "at")
            let step = try parseInteger("a step number")
            return (.funnelDropped(name, step: step), range(from: start))
        }
        throw fail(.expected("`profiles`, `events` or `segment NAME`", found: current))
    }

    mutating func parseQuery() throws(Failure) -> Query {
        let start = current.range.start
        let (source, sourceRange) = try parseSource()
        var stages: [Stage] = []
        while accept(symbol: "|") != nil {
            let stageStart = current.range.start
            if stages.count == RQL.Limits.stages {
                throw fail(.tooMany("stages", limit: RQL.Limits.stages, current.range))
            }
            do {
                stages.append(Stage(kind: try parseStage(), range: range(from: stageStart)))
                if !atEnd, !current.isSymbol("|"), !current.isSymbol(";"), !(inSync && Self.syncOptionWords.contains(current.text.lowercased())) {
                    throw fail(.extraInput(current))
                }
            } catch {
                skip(stopAtBar: true)
            }
        }
        return Query(source: source, sourceRange: sourceRange, stages: stages, range: range(from: start))
    }

    /// `count profiles where PRED` is `profiles | where PRED | count`.
    mutating func parseCountShorthand() throws(Failure) -> Query {
        let start = current.range.start
        let countToken = advance()
        let (source, sourceRange) = try parseSource()
        var stages: [Stage] = []
        let whereStart = current.range.start
        if accept(keyword: "where") != nil {
            stages.append(Stage(kind: .where(try parseExpression()), range: range(from: whereStart)))
        }
        stages.append(Stage(kind: .count, range: countToken.range))
        return Query(source: source, sourceRange: sourceRange, stages: stages, range: range(from: start))
    }

    mutating func parseStage() throws(Failure) -> Stage.Kind {
        let token = current
        switch token.kind == .word ? token.text.lowercased() : "" {
        case "where":
            advance()
            return .where(try parseExpression())
        case "select":
            advance()
            return .select(try parseSelectItems())
        case "order":
            advance()
            _ = try expect(keyword: "by")
            var items: [OrderItem] = []
            repeat {
                try checkColumnCount(items.count)
                let expr = try parseExpression()
                var descending = false
                if accept(keyword: "desc") != nil { descending = true } else { _ = accept(keyword: "asc") }
                items.append(OrderItem(expr: expr, descending: descending))
            } while accept(symbol: ",") != nil
            return .orderBy(items)
        case "limit":
            advance()
            let limit = try parseInteger("a number of rows")
            var offset: Int?
            if accept(keyword: "offset") != nil { offset = try parseInteger("a number of rows") }
            return .limit(limit, offset: offset)
        case "group":
            advance()
            _ = try expect(keyword: "by")
            var keys: [Expr] = []
            repeat {
                try checkColumnCount(keys.count)
                keys.append(try parseExpression())
            } while accept(symbol: ",") != nil
            var items: [SelectItem]?
            if accept(keyword: "select") != nil { items = try parseSelectItems(already: keys.count) }
            return .groupBy(keys, select: items)
        case "count":
            advance()
            return .count
        default:
            throw fail(.unknownStage(token))
        }
    }

    /// Refuses a column past ``RQL/Limits/columns`` (`count` already read).
    mutating func checkColumnCount(_ count: Int) throws(Failure) {
        if count >= RQL.Limits.columns {
            throw fail(.tooMany("columns", limit: RQL.Limits.columns, current.range, hint: "PostgreSQL answers at most 1,664 columns"))
        }
    }

    /// `select` items; `already` columns (a group's keys) come before them.
    mutating func parseSelectItems(already: Int = 0) throws(Failure) -> [SelectItem] {
        var items: [SelectItem] = []
        repeat {
            try checkColumnCount(already + items.count)
            var name: Name?
            if atName, peek().isSymbol("=") {
                name = try parseName()
                advance()
            }
            items.append(SelectItem(name: name, expr: try parseExpression()))
        } while accept(symbol: ",") != nil
        return items
    }

    mutating func parseInteger(_ what: String) throws(Failure) -> Int {
        guard current.kind == .number else { throw fail(.expected(what, found: current)) }
        guard let value = Int(current.text), value >= 0 else { throw fail(.badLimit(current)) }
        advance()
        return value
    }
}
