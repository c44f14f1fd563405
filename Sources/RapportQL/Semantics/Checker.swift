/// Resolves a script's names against the tenant's catalogue and types every expression
/// (Grammar/README.md is the semantics it implements). Like the parser it collects
/// diagnostics and carries on; a statement with an error checks to nil.
public struct Checker {
    let catalog: any Catalog
    var diagnostics: [Diagnostic] = []
    /// Definitions made (or dropped: nil) earlier in the same script.
    var localDefinitions: [String: Definition?] = [:]
    /// Definitions being expanded, to catch one that uses itself.
    var expanding: [String] = []
    /// Definitions the statement being checked uses.
    var uses: Set<String> = []
    /// Checked segment predicates and metrics, by name.
    var expanded: [String: [TypedExpr]] = [:]
    /// The value settings in effect, once read (a `set value` in the script clears it).
    var settingsCache: ValueSettings?
    /// The bytes of definition text that one use of each checked definition brings into the
    /// SQL: its own and, each time again, those of the definitions it uses.
    var weights: [String: Int] = [:]
    /// What the statement (first) and the definitions being expanded (then) have brought in so
    /// far: a metric used twice in another used twice doubles twice, so this, not the text,
    /// bounds the SQL (``RQL/Limits/expandedBytes``).
    var weightStack: [Int] = [0]

    public static func check(_ script: Script, catalog: any Catalog) -> (statements: [TypedStatement?], diagnostics: [Diagnostic]) {
        var checker = Checker(catalog: catalog)
        var statements: [TypedStatement?] = []
        for statement in script.statements {
            checker.uses = []
            checker.weightStack = [0]
            let before = checker.diagnostics.count
            let typed = checker.check(statement, in: script)
            statements.append(checker.diagnostics.count == before ? typed : nil)
        }
        return (statements, checker.diagnostics)
    }

    mutating func report(_ diagnostic: Diagnostic) {
        diagnostics.append(diagnostic)
    }

    func definition(_ name: String) -> Definition? {
        if let local = localDefinitions[name] { return local }
        return catalog.definition(name)
    }

    mutating func check(_ statement: Statement, in script: Script) -> TypedStatement? {
        switch statement.kind {
        case .query(let query):
            return checkQuery(query).map(TypedStatement.query)
        case .explain(let analyze, let query):
            return checkQuery(query).map { TypedStatement.explain($0, analyze: analyze) }
        case .explainReport(let analyze, let report):
            guard case .report(let typed)? = checkReport(report) else { return nil }
            return .explainReport(typed, analyze: analyze)
        case .segment(let name, let query):
            guard checkNewDefinition(name, kind: .segment) else { return nil }
            expanding = [name.text]
            defer { expanding = [] }
            guard checkSegmentQuery(query) != nil else { return nil }
            let saved = Definition(kind: .segment, name: name.text, source: script.text(of: query.range))
            localDefinitions[name.text] = saved
            expanded[name.text] = nil
            return .define(saved, uses: uses.sorted())
        case .metric(let name, let expr):
            guard checkNewDefinition(name, kind: .metric) else { return nil }
            expanding = [name.text]
            defer { expanding = [] }
            guard self.expr(expr, in: .profile) != nil else { return nil }
            let saved = Definition(kind: .metric, name: name.text, source: script.text(of: expr.range))
            localDefinitions[name.text] = saved
            expanded[name.text] = nil
            return .define(saved, uses: uses.sorted())
        case .funnel(let name, let funnel):
            let typed = checkFunnelDefinition(name, funnel, statement: statement, in: script)
            if typed == nil, localDefinitions[name.text] == nil, definition(name.text) == nil {
                // Known from here on, so later statements about it do not fail for that reason too.
                localDefinitions[name.text] = Definition(kind: .funnel, name: name.text, source: "")
            }
            return typed
        case .lifecycleStage(let name, let predicate):
            return checkLifecycleStage(name, predicate, in: script)
        case .setValue(let name, let values):
            return checkSetting(name, values, statement: statement, in: script)
        case .report(let report):
            return checkReport(report)
        case .show(let what):
            return .show(what)
        case .describe(let name):
            if definition(name.text) == nil, catalog.traitType(name.text) == nil, !catalog.hasEvent(name.text),
               !catalog.syncNames.contains(name.text) {
                let candidates = catalog.traitNames + catalog.eventNames + localDefinitions.keys + catalog.syncNames
                report(.unknownName(name, candidates: candidates))
                return nil
            }
            return .describe(name.text)
        case .sync(let sync):
            return checkSync(sync, in: script)
        case .drop(let kind, let name) where kind.text == "sync":
            guard catalog.syncNames.contains(name.text) else {
                report(.unknownDefinition(name, kind: "sync", candidates: catalog.syncNames))
                return nil
            }
            return .drop(.sync, name.text)
        case .drop(let kind, let name):
            let kind = Definition.Kind(rawValue: kind.text) ?? .segment
            guard [.segment, .metric, .funnel].contains(kind), let existing = definition(name.text), existing.kind == kind else {
                report(.unknownDefinition(name, kind: kind.rawValue, candidates: []))
                return nil
            }
            localDefinitions[name.text] = .some(nil)
            expanded[name.text] = nil
            return .drop(kind, name.text)
        }
    }

    /// A definition's name must be free: not a built-in field, identity kind or trait, and
    /// not a definition of another kind.
    mutating func checkNewDefinition(_ name: Name, kind: Definition.Kind) -> Bool {
        let text = name.text
        guard !name.quoted, text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }),
              let first = text.first, !first.isNumber, text.utf8.count <= 63 else {
            report(.badDefinitionName(name))
            return false
        }
        if let existing = definition(text), existing.kind != kind {
            report(.nameTaken(name, by: "a \(existing.kind.rawValue)"))
            return false
        }
        if kind == .metric {
            if Self.profileBuiltins[text] != nil || Self.valueBuiltins.contains(text) {
                report(.nameTaken(name, by: "a built-in field"))
                return false
            }
            if catalog.identityKinds.contains(where: { $0.name == text }) {
                report(.nameTaken(name, by: "an identity kind"))
                return false
            }
            if catalog.traitType(text) != nil {
                report(.nameTaken(name, by: "a trait"))
                return false
            }
        }
        return true
    }

    /// A segment is a profile question: `profiles` or another segment, then `where` stages.
    mutating func checkSegmentQuery(_ query: Query) -> [TypedExpr]? {
        var filters: [TypedExpr] = []
        switch query.source {
        case .profiles:
            break
        case .segment(let name):
            guard let inherited = segmentPredicates(name) else { return nil }
            filters = inherited
        case .events, .funnelDropped:
            report(.badSegment(query.sourceRange, "a segment is a set of profiles: start it with `profiles`"))
            return nil
        }
        var ok = true
        for stage in query.stages {
            guard case .where(let predicate) = stage.kind else {
                report(.badSegment(stage.range, "a segment holds only `where` stages"))
                ok = false
                continue
            }
            if let typed = condition(predicate, in: .profile, what: "`where`") { filters.append(typed) } else { ok = false }
        }
        return ok ? filters : nil
    }

    /// The predicates of saved segment `name`, checked (once per script).
    mutating func segmentPredicates(_ name: Name) -> [TypedExpr]? {
        guard let saved = definition(name.text), saved.kind == .segment else {
            let names = allDefinitionNames(kind: .segment)
            report(.unknownDefinition(name, kind: "segment", candidates: names))
            return nil
        }
        uses.insert(name.text)
        if let done = expanded[name.text] { return charge(name) ? done : nil }
        guard !expanding.contains(name.text) else {
            report(.definitionCycle(name, through: expanding))
            return nil
        }
        let (parsed, query) = parseSaved(saved, at: name) { parser throws(Parser.Failure) in try parser.parseQuery() }
        guard parsed, let query else { return nil }
        expanding.append(name.text)
        weightStack.append(0)
        let count = diagnostics.count
        let predicates = checkSegmentQuery(query)
        expanding.removeLast()
        weights[name.text] = saved.source.utf8.count + weightStack.removeLast()
        if diagnostics.count > count {
            let tooComplex = diagnostics[count...].contains { $0.code == "too-complex" }
            diagnostics.removeSubrange(count...)
            report(tooComplex ? .tooComplex(name.range) : .brokenDefinition(name, kind: "segment"))
            return nil
        }
        expanded[name.text] = predicates
        return charge(name) ? predicates : nil
    }

    /// Saved metric `name`, checked (once per script).
    mutating func metricExpr(_ name: Name) -> TypedExpr? {
        guard let saved = definition(name.text), saved.kind == .metric else { return nil }
        uses.insert(name.text)
        if let done = expanded[name.text] { return charge(name) ? done.first : nil }
        guard !expanding.contains(name.text) else {
            report(.definitionCycle(name, through: expanding))
            return nil
        }
        let (parsed, expr) = parseSaved(saved, at: name) { parser throws(Parser.Failure) in try parser.parseExpression() }
        guard parsed, let expr else { return nil }
        expanding.append(name.text)
        weightStack.append(0)
        let count = diagnostics.count
        let typed = self.expr(expr, in: .profile)
        expanding.removeLast()
        weights[name.text] = saved.source.utf8.count + weightStack.removeLast()
        if diagnostics.count > count || typed == nil {
            let tooComplex = diagnostics[count...].contains { $0.code == "too-complex" }
            diagnostics.removeSubrange(count...)
            report(tooComplex ? .tooComplex(name.range) : .brokenDefinition(name, kind: "metric"))
            return nil
        }
        expanded[name.text] = [typed!]
        return charge(name) ? typed : nil
    }

    /// Adds one use of checked definition `name` to what the statement brings in; false (and a
    /// diagnostic) past ``RQL/Limits/expandedBytes``.
    mutating func charge(_ name: Name) -> Bool {
        weightStack[weightStack.count - 1] += weights[name.text] ?? 0
        guard weightStack[weightStack.count - 1] <= RQL.Limits.expandedBytes else {
            report(.tooComplex(name.range))
            return false
        }
        return true
    }

    /// Parses a saved definition's text with `body`; a definition that no longer parses is
    /// reported at the place that uses it.
    mutating func parseSaved<T>(_ saved: Definition, at name: Name,
                                _ body: (inout Parser) throws(Parser.Failure) -> T) -> (Bool, T?) {
        let (tokens, lexical) = Lexer.tokenize(saved.source)
        var parser = Parser(tokens: tokens)
        let result = try? body(&parser)
        if !lexical.isEmpty || !parser.diagnostics.isEmpty || result == nil || !parser.atEnd {
            report(.brokenDefinition(name, kind: saved.kind.rawValue))
            return (false, nil)
        }
        return (true, result)
    }

    func allDefinitionNames(kind: Definition.Kind) -> [String] {
        let saved = catalog.definitionList.filter { $0.kind == kind && localDefinitions[$0.name] == nil }.map(\.name)
        return saved + localDefinitions.compactMap { $0.value?.kind == kind ? $0.key : nil }
    }
}
