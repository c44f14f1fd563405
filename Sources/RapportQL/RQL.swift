/// The RQL pipeline, one public function per stage:
///
/// ```
/// text ──Lexer.tokenize──▶ [Token] ──Parser.parse──▶ Script (AST)
///      ──Checker.check(_:catalog:)──▶ [TypedStatement] ──SQLCompiler.compile──▶ SQL + binds
/// ```
///
/// Every stage collects diagnostics and carries on; `compile` returns them all, in source
/// order, and compiles only when there are none.
public enum RQL {
    /// A statement ready to run.
    public enum CompiledStatement: Sendable {
        case query(CompiledQuery)
        case define(Definition, uses: [String])
        case show(ShowTarget)
        case describe(String)
        case drop(Definition.Kind, String)
        case explain(CompiledQuery, analyze: Bool)
        case defineSync(SyncDefinition)
    }

    public struct Compilation: Sendable {
        public var statements: [CompiledStatement]
        /// Every problem found, in source order; when there is one, `statements` is empty.
        public var diagnostics: [Diagnostic]

        public var succeeded: Bool { !diagnostics.contains { $0.severity == .error } }
    }

    /// Tokenizes and parses `text`, lexical and syntax problems together.
    public static func parse(_ text: String) -> (script: Script, diagnostics: [Diagnostic]) {
        let (tokens, lexical) = Lexer.tokenize(text)
        var (script, syntax) = Parser.parse(tokens)
        script.text = text
        return (script, sorted(lexical + syntax))
    }

    /// Parses and checks `text` (a script of one or more statements).
    public static func check(_ text: String, catalog: any Catalog) -> (statements: [TypedStatement?], diagnostics: [Diagnostic]) {
        let (tokens, lexical) = Lexer.tokenize(text)
        var (script, syntax) = Parser.parse(tokens)
        script.text = text
        let problems = lexical + syntax
        if problems.isEmpty {
            let (statements, semantic) = Checker.check(script, catalog: catalog)
            return (statements, sorted(semantic))
        }
        // Statements that parsed cleanly are still checked, so their problems show too.
        // Both lists are in source order (a statement's problems sort by their start), so one
        // walk finds the statements no problem touches.
        let ranges = problems.map(\.range).sorted { $0.start < $1.start }
        var clean = script
        var next = 0
        var maxEnd = Int.min
        clean.statements = script.statements.filter { statement in
            // Problems that start at or before this statement's end, and the furthest any reaches.
            while next < ranges.count, ranges[next].start <= statement.range.end {
                maxEnd = max(maxEnd, ranges[next].end)
                next += 1
            }
            return !(next > 0 && maxEnd >= statement.range.start)
        }
        let (_, semantic) = Checker.check(clean, catalog: catalog)
        return ([], sorted(problems + semantic))
    }

    /// Parses, checks and compiles `text`.
    public static func compile(_ text: String, catalog: any Catalog,
                               options: SQLCompiler.Options = SQLCompiler.Options()) -> Compilation {
        let (typed, diagnostics) = check(text, catalog: catalog)
        guard diagnostics.isEmpty else { return Compilation(statements: [], diagnostics: diagnostics) }
        var options = options
        if options.summaries == nil { options.summaries = catalog.summaries }
        let summaries = options.summaries
        let statements = typed.compactMap { $0 }.map { statement -> CompiledStatement in
            switch statement {
            case .query(let query): .query(SQLCompiler.compile(query, options: options))
            case .explain(let query, let analyze): .explain(SQLCompiler.compile(query, options: SQLCompiler.Options(summaries: summaries)), analyze: analyze)
            case .explainReport(let report, let analyze): .explain(SQLCompiler.compile(report, summaries: summaries), analyze: analyze)
            case .define(let definition, let uses): .define(definition, uses: uses)
            case .report(let report): .query(SQLCompiler.compile(report, rowLimit: options.rowLimit, summaries: summaries))
            case .show(let what): .show(what)
            case .describe(let name): .describe(name)
            case .drop(let kind, let name): .drop(kind, name)
            case .defineSync(let sync): .defineSync(sync)
            }
        }
        return Compilation(statements: statements, diagnostics: [])
    }

    /// The value settings in effect for `catalog`'s saved definitions (defaults filled in).
    public static func valueSettings(_ catalog: any Catalog) -> ValueSettings {
        var checker = Checker(catalog: catalog)
        return checker.valueSettings()
    }

    /// A sync's audience compiled as it runs: the first column is `profile_id`, then the
    /// fields (``SyncDefinition/fields``). Diagnostics when it no longer checks against `catalog`.
    public static func audience(_ text: String, catalog: any Catalog) -> (query: CompiledQuery?, fields: [String], diagnostics: [Diagnostic]) {
        let (tokens, lexical) = Lexer.tokenize(text)
        var parser = Parser(tokens: tokens)
        let query = try? parser.parseQuery()
        var problems = lexical + parser.diagnostics
        if query != nil, problems.isEmpty, !parser.atEnd { problems.append(.extraInput(parser.current)) }
        guard let query, problems.isEmpty else { return (nil, [], sorted(problems)) }
        var checker = Checker(catalog: catalog)
        guard let (typed, fields) = checker.checkAudience(query), checker.diagnostics.isEmpty else {
            return (nil, [], sorted(checker.diagnostics))
        }
        return (SQLCompiler.compile(typed, options: SQLCompiler.Options(summaries: catalog.summaries)), fields, [])
    }

    /// `diagnostics` in source order, at most ``maxDiagnostics`` of them and then one
    /// `too-many-problems` that counts the rest.
    static func sorted(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        let ordered = diagnostics.enumerated().sorted { ($0.element.range.start, $0.offset) < ($1.element.range.start, $1.offset) }.map(\.element)
        guard ordered.count > maxDiagnostics else { return ordered }
        let rest = ordered[maxDiagnostics...]
        return Array(ordered.prefix(maxDiagnostics)) + [.tooManyProblems(rest.count, rest.first!.range)]
    }

    /// The output of one stage, as `rapport compile --stage` prints it and the golden
    /// files hold it.
    public enum Stage: String, Sendable, CaseIterable {
        case tokens, ast, typed, sql
    }

    /// `text` after `stage`, or the rendered diagnostics if it does not get that far.
    public static func dump(_ text: String, stage: Stage, catalog: any Catalog) -> (output: String, diagnostics: [Diagnostic]) {
        let (tokens, lexical) = Lexer.tokenize(text)
        if stage == .tokens {
            return (tokens.map(\.description).joined(separator: "\n"), sorted(lexical))
        }
        var (script, syntax) = Parser.parse(tokens)
        script.text = text
        if stage == .ast || !(lexical + syntax).isEmpty {
            return (stage == .ast ? script.description : "", sorted(lexical + syntax))
        }
        let (typed, semantic) = Checker.check(script, catalog: catalog)
        if stage == .typed {
            return (typed.map { $0.map(\.description) ?? "(error)" }.joined(separator: "\n"), sorted(semantic))
        }
        guard semantic.isEmpty else { return ("", sorted(semantic)) }
        let compiled = compile(text, catalog: catalog)
        return (compiled.statements.map(\.description).joined(separator: "\n\n"), [])
    }
}

extension Token: CustomStringConvertible {
    public var description: String {
        let kind: String
        switch self.kind {
        case .word: kind = "word"
        case .quotedName: kind = "name"
        case .string: kind = "string"
        case .number: kind = "number"
        case .percent: kind = "percent"
        case .date: kind = "date"
        case .timestamp: kind = "timestamp"
        case .duration: kind = "duration"
        case .symbol: kind = "symbol"
        case .end: kind = "end"
        }
        return "\(range.start)..<\(range.end) \(kind) \(Literal.string(text).description)"
    }
}

extension RQL.CompiledStatement: CustomStringConvertible {
    public var description: String {
        switch self {
        case .query(let query): return query.description
        case .explain(let query, let analyze): return "-- explain\(analyze ? " analyze" : "")\n" + query.description
        case .define(let definition, let uses):
            return "-- save \(definition.kind.rawValue) \(definition.name) = \(definition.source)"
                + (uses.isEmpty ? "" : "\n-- uses " + uses.joined(separator: ", "))
        case .show(let what): return "-- show \(what.rawValue)"
        case .describe(let name): return "-- describe \(name)"
        case .drop(let kind, let name): return "-- drop \(kind.rawValue) \(name)"
        case .defineSync(let sync): return "-- save sync \(sync.name): \(sync.statement)"
        }
    }
}

extension CompiledQuery: CustomStringConvertible {
    public var description: String {
        let columns = "-- columns: " + columns.map { "\($0.name) \($0.type.rawValue)" }.joined(separator: ", ")
        let binds = binds.enumerated().map { "-- $\($0.offset + 1) = \($0.element)" }
        return ([columns] + binds + [sql + ";"]).joined(separator: "\n")
    }
}
