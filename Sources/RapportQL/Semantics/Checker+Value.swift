import Foundation

/// Customer value: settings, value fields, lifecycle stages, funnels and reports
/// (Grammar/README.md, "Funnels", "Customer value", "Reports").
extension Checker {
    static let settingNames = ["revenue", "cost", "discount", "tiers"]

    // MARK: Settings

    /// `set value revenue = purchase.amount, refund.amount`: checked, saved as setting
    /// `value.revenue` with the text after `=`.
    mutating func checkSetting(_ name: Name, _ values: [SettingValue], statement: Statement, in script: Script) -> TypedStatement? {
        let setting = name.text.lowercased()
        guard Self.settingNames.contains(setting), !name.quoted else {
            report(.badSetting(name.range, "there is no value setting `\(name.text)`",
                               hint: Diagnostic.suggestion(for: name.text, among: Self.settingNames) ?? "settings are revenue, cost, discount and tiers"))
            return nil
        }
        var flows: [ValueSettings.Flow] = []
        var percents: [(Decimal, SourceRange)] = []
        for value in values {
            switch value {
            case .eventValue(let event, let property):
                guard setting == "revenue" || setting == "cost" else {
                    report(.badSetting(event.range, "`\(setting)` is a percentage, not an event's property"))
                    return nil
                }
                guard let flow = checkFlow(event: event, property: property) else { return nil }
                flows.append(flow)
            case .percent(let text, let range):
                guard setting == "discount" || setting == "tiers" else {
                    report(.badSetting(range, "`\(setting)` names events and their property (`purchase.amount`), not a percentage"))
                    return nil
                }
                percents.append(((Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) ?? 0) / 100, range))
            }
        }
        if setting == "discount" {
            guard percents.count == 1, let (rate, range) = percents.first else {
                report(.badSetting(statement.range, "`discount` is one yearly rate, such as `10%`"))
                return nil
            }
            guard rate >= 0, rate <= 1 else {
                report(.badSetting(range, "a discount rate is between 0% and 100%"))
                return nil
            }
        }
        if setting == "tiers" {
            guard percents.count == 4 else {
                report(.badSetting(statement.range, "`tiers` takes four shares: platinum, gold, silver and bronze (`10%, 16%, 35%, 20%`)"))
                return nil
            }
            if let (_, range) = percents.first(where: { $0.0 <= 0 }) {
                report(.badSetting(range, "each tier's share is above 0%"))
                return nil
            }
            guard percents.reduce(Decimal(0), { $0 + $1.0 }) <= 1 else {
                report(.badSetting(statement.range, "the four tiers' shares add up to more than 100%"))
                return nil
            }
        }
        let firstStart: Int
        switch values[0] {
        case .eventValue(let event, _): firstStart = event.range.start
        case .percent(_, let range): firstStart = range.start
        }
        let source = Self.definitionText(script.text(of: SourceRange(firstStart, statement.range.end)))
        let saved = Definition(kind: .setting, name: "value." + setting, source: source)
        localDefinitions[saved.name] = saved
        settingsCache = nil
        return .define(saved, uses: [])
    }

    /// `purchase.amount` in a setting: a track event the tenant has seen, and a number property of it.
    mutating func checkFlow(event: Name, property: Name) -> ValueSettings.Flow? {
        guard catalog.hasEvent(event.text) else {
            report(.unknownEvent(event, candidates: catalog.eventNames))
            return nil
        }
        guard let type = catalog.propertyType(event: event.text, name: property.text) else {
            report(.unknownProperty(property, event: event.text, candidates: catalog.propertyNames(event: event.text)))
            return nil
        }
        guard type == .number else {
            report(.badSetting(property.range, "`\(event.text).\(property.text)` is \(type.rawValue), and a value is a number"))
            return nil
        }
        return ValueSettings.Flow(event: event.text, property: property.text)
    }

    /// The settings in effect: those saved (or set earlier in the script) over the defaults.
    mutating func valueSettings() -> ValueSettings {
        if let settingsCache { return settingsCache }
        var settings = ValueSettings.defaults
        for setting in Self.settingNames {
            guard let saved = definition("value." + setting), saved.kind == .setting else { continue }
            let (script, problems) = RQL.parse("set value \(setting) = \(saved.source)")
            guard problems.isEmpty, case .setValue(_, let values)? = script.statements.first?.kind else { continue }
            let flows = values.compactMap { value -> ValueSettings.Flow? in
                if case .eventValue(let event, let property) = value { return ValueSettings.Flow(event: event.text, property: property.text) }
                return nil
            }
            let percents = values.compactMap { value -> String? in
                guard case .percent(let text, _) = value, let number = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else { return nil }
                return "\(number / 100)"
            }
            switch setting {
            case "revenue": settings.revenue = flows
            case "cost": settings.cost = flows
            case "discount": settings.discount = percents.first ?? settings.discount
            default: if percents.count == 4 { settings.tiers = percents }
            }
        }
        settingsCache = settings
        return settings
    }

    /// `show value settings`.
    mutating func settingsRows() -> [(setting: String, value: String, isDefault: Bool)] {
        let settings = valueSettings()
        func flows(_ list: [ValueSettings.Flow]) -> String {
            list.map { Self.quotedName($0.event) + "." + Self.quotedName($0.property) }.joined(separator: ", ")
        }
        func percent(_ fraction: String) -> String {
            "\((Decimal(string: fraction, locale: Locale(identifier: "en_US_POSIX")) ?? 0) * 100)%"
        }
        return [
            ("revenue", flows(settings.revenue), definition("value.revenue") == nil),
            ("cost", flows(settings.cost), definition("value.cost") == nil),
            ("discount", percent(settings.discount), definition("value.discount") == nil),
            ("tiers", settings.tiers.map(percent).joined(separator: ", "), definition("value.tiers") == nil),
        ]
    }

    static func quotedName(_ name: String) -> String {
        let plain = name.first.map { $0.isLetter || $0 == "_" } == true
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
        return plain ? name : "`" + name.replacingOccurrences(of: "`", with: "``") + "`"
    }

    // MARK: Value fields and stages

    mutating func valueField(_ name: Name) -> TypedExpr? {
        if name.text == "stage" { return stageExpr(at: name.range) }
        guard let field = ValueField(rawValue: name.text) else { return nil }
        return TypedExpr(.value(field, valueSettings()), field.type)
    }

    /// `lifecycle stage retention = …`: a profile predicate, saved as `stage.retention`.
    mutating func checkLifecycleStage(_ name: Name, _ predicate: Expr, in script: Script) -> TypedStatement? {
        guard let stage = LifecycleStage(rawValue: name.text.lowercased()), !name.quoted else {
            report(.badSetting(name.range, "there is no lifecycle stage `\(name.text)`",
                               hint: Diagnostic.suggestion(for: name.text, among: LifecycleStage.allCases.map(\.rawValue))
                                   ?? "the stages are reach, acquisition, development, retention and inspire"))
            return nil
        }
        let key = "stage." + stage.rawValue
        expanding = [key]
        defer { expanding = [] }
        guard condition(predicate, in: .profile, what: "a lifecycle stage") != nil else { return nil }
        let saved = Definition(kind: .stage, name: key, source: script.text(of: predicate.range))
        localDefinitions[key] = saved
        expanded[key] = nil
        return .define(saved, uses: uses.sorted())
    }

    /// `stage` (used at `range`): the stages' rules, highest first. A saved rule that no
    /// longer checks is reported there, as a broken definition.
    mutating func stageExpr(at range: SourceRange) -> TypedExpr? {
        let settings = valueSettings()
        var rules: [(LifecycleStage, TypedExpr)] = []
        for stage in LifecycleStage.allCases.reversed() {
            let key = "stage." + stage.rawValue
            guard let saved = definition(key), saved.kind == .stage else {
                rules.append((stage, Self.defaultRule(stage, settings)))
                continue
            }
            if let done = expanded[key]?.first {
                rules.append((stage, done))
                continue
            }
            // A rule that reads `stage` would never finish.
            let at = Name("stage", range)
            guard !expanding.contains(key) else {
                report(.definitionCycle(at, through: expanding))
                return nil
            }
            let count = diagnostics.count
            let (_, expr) = parseSaved(saved, at: at) { parser throws(Parser.Failure) in try parser.parseExpression() }
            expanding.append(key)
            defer { expanding.removeLast() }
            guard let expr, let typed = condition(expr, in: .profile, what: "a lifecycle stage"), diagnostics.count == count else {
                diagnostics.removeSubrange(count...)
                report(.brokenStageRule(range, stage: stage.rawValue))
                return nil
            }
            expanded[key] = [typed]
            rules.append((stage, typed))
        }
        return TypedExpr(.stage(rules), .text)
    }

    /// The default rule of `stage` (Grammar/README.md).
    static func defaultRule(_ stage: LifecycleStage, _ settings: ValueSettings) -> TypedExpr {
        func number(_ text: String) -> TypedExpr { TypedExpr(.number(text), .number) }
        func did(_ aggregate: EventAggregate) -> TypedExpr {
            TypedExpr(.binary(.greater, TypedExpr(.eventAggregate(aggregate), .number), number("0")), .boolean)
        }
        let orders = TypedExpr(.value(.orders, settings), .number)
        func ago(_ interval: String) -> TypedExpr {
            TypedExpr(.binary(.subtract, TypedExpr(.now, .timestamp), TypedExpr(.duration(interval), .duration)), .timestamp)
        }
        switch stage {
        case .reach:
            return did(EventAggregate(function: .count, events: .any))
        case .acquisition:
            return TypedExpr(.binary(.greaterOrEqual, orders, number("1")), .boolean)
        case .development:
            return TypedExpr(.binary(.greaterOrEqual, orders, number("2")), .boolean)
        case .retention:
            let recent = TypedExpr(.binary(.greaterOrEqual, TypedExpr(.value(.lastOrder, settings), .timestamp), ago("90 days")), .boolean)
            let old = TypedExpr(.binary(.less, TypedExpr(.value(.firstOrder, settings), .timestamp), ago("180 days")), .boolean)
            return TypedExpr(.binary(.and, recent, old), .boolean)
        case .inspire:
            let referral = did(EventAggregate(function: .count, events: .track("referral")))
            var promoter = EventAggregate(function: .count, events: .track("nps"))
            promoter.filter = TypedExpr(.binary(.greaterOrEqual, TypedExpr(.eventProperty("score"), .number), number("9")), .boolean)
            return TypedExpr(.binary(.or, referral, did(promoter)), .boolean)
        }
    }

    // MARK: Funnels

    mutating func checkFunnelDefinition(_ name: Name, _ funnel: Funnel, statement: Statement, in script: Script) -> TypedStatement? {
        guard checkNewDefinition(name, kind: .funnel) else { return nil }
        guard checkFunnel(name.text, funnel, range: statement.range) != nil else { return nil }
        let source = Self.definitionText(script.text(of: SourceRange(funnel.steps[0].event.range.start, statement.range.end)))
        let saved = Definition(kind: .funnel, name: name.text, source: source)
        localDefinitions[name.text] = saved
        return .define(saved, uses: [])
    }

    /// A definition's text, without the statement's `;`.
    static func definitionText(_ text: String) -> String {
        var text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        while text.hasSuffix(";") { text = String(text.dropLast()).trimmingCharacters(in: .whitespacesAndNewlines) }
        return text
    }

    /// Saved funnel `name`, checked.
    mutating func savedFunnel(_ name: Name) -> TypedFunnel? {
        guard let saved = definition(name.text), saved.kind == .funnel else {
            report(.unknownDefinition(name, kind: "funnel", candidates: allDefinitionNames(kind: .funnel)))
            return nil
        }
        // A funnel whose definition failed earlier in the script: reported there already.
        guard !saved.source.isEmpty else { return nil }
        let (script, problems) = RQL.parse("funnel \(Self.quotedName(saved.name)) = \(saved.source)")
        guard problems.isEmpty, case .funnel(_, let funnel)? = script.statements.first?.kind else {
            report(.brokenDefinition(name, kind: "funnel"))
            return nil
        }
        let count = diagnostics.count
        let typed = checkFunnel(saved.name, funnel, range: name.range)
        if diagnostics.count > count || typed == nil {
            diagnostics.removeSubrange(count...)
            report(.brokenDefinition(name, kind: "funnel"))
            return nil
        }
        return typed
    }

    mutating func checkFunnel(_ name: String, _ funnel: Funnel, range: SourceRange) -> TypedFunnel? {
        var ok = true
        guard funnel.steps.count >= 2 else {
            report(.badFunnel(range, "a funnel needs at least two steps (`a -> b`)"))
            return nil
        }
        if funnel.steps[0].optional {
            report(.badFunnel(funnel.steps[0].event.range, "the first step is the entry and cannot be optional"))
            ok = false
        }
        if let within = funnel.steps[0].within {
            report(.badFunnel(within.range, "the first step has no previous step to be within a time of"))
            ok = false
        }
        var steps: [TypedFunnel.Step] = []
        for step in funnel.steps {
            guard let selector = eventSelector(step.event) else { ok = false; continue }
            var typed = TypedFunnel.Step(optional: step.optional, events: selector, label: step.event.text)
            if let filter = step.filter {
                if let condition = condition(filter, in: Scope(base: .eventOf(selector)), what: "a step's `where`") { typed.filter = condition } else { ok = false }
            }
            if let within = step.within {
                if let interval = interval(within) { typed.within = interval } else { ok = false }
            }
            steps.append(typed)
        }
        var result = TypedFunnel(name: name, steps: steps, within: nil, excludes: [], order: .sequential, breakdown: nil, range: nil)
        var seen: Set<String> = []
        var byOption: ([Name], [Name])?
        for option in funnel.options {
            let key: String
            switch option {
            case .within(let duration):
                key = "within"
                if let interval = interval(duration) { result.within = interval } else { ok = false }
                if seen.contains(key) { report(.badFunnel(duration.range, "a funnel has one overall window")); ok = false }
            case .exclude(let event, let filter):
                key = "exclude"
                guard let selector = eventSelector(event) else { ok = false; continue }
                var condition: TypedExpr?
                if let filter {
                    condition = self.condition(filter, in: Scope(base: .eventOf(selector)), what: "an exclusion's `where`")
                    if condition == nil { ok = false }
                }
                result.excludes.append((selector, condition))
            case .order(let order):
                key = "order"
                result.order = TypedFunnel.Order(rawValue: order.text) ?? .sequential
                if seen.contains(key) { report(.badFunnel(order.range, "a funnel has one `order`")); ok = false }
            case .entry(let entry):
                key = "entry"
                result.entry = TypedFunnel.Entry(rawValue: entry.text) ?? .every
                if seen.contains(key) { report(.badFunnel(entry.range, "a funnel has one `entry`")); ok = false }
            case .by(let names, let attribution):
                key = "by"
                if seen.contains(key) { report(.badFunnel(names[0].range, "a funnel has one breakdown")); ok = false }
                byOption = (names, attribution)
            }
            seen.insert(key)
        }
        if result.order == .any, let step = funnel.steps.first(where: { $0.within != nil }), let within = step.within {
            report(.badFunnel(within.range, "in `order any` steps have no order, so no step can be within a time of the previous one",
                              hint: "give the whole funnel a window instead (`… within 7 days`)"))
            ok = false
        }
        guard ok, steps.count == funnel.steps.count else { return nil }
        if let (names, words) = byOption {
            guard let attribution = funnelAttribution(words, steps: steps.count),
                  let breakdown = funnelBreakdown(names, attribution: attribution, funnel: result) else { return nil }
            result.breakdown = breakdown
        }
        return result
    }

    mutating func eventSelector(_ event: Name) -> EventSelector? {
        eventTarget(Expr(.field([event]), event.range)).map(\.0)
    }

    /// `attribute first | last | step N` (nothing: first).
    mutating func funnelAttribution(_ words: [Name], steps: Int) -> TypedFunnel.Attribution? {
        switch words.first?.text {
        case "last": return .last
        case "step":
            guard words.count == 2, let number = Int(words[1].text), number >= 1, number <= steps else {
                report(.badFunnel(words[words.count - 1].range, "the funnel has steps 1 to \(steps)"))
                return nil
            }
            return .step(number)
        default: return .first
        }
    }

    /// `by F`: a property of the attributed step's event, or a profile field.
    mutating func funnelBreakdown(_ names: [Name], attribution attributed: TypedFunnel.Attribution, funnel: TypedFunnel) -> TypedFunnel.Breakdown? {
        let range = SourceRange(names[0].range.start, names[names.count - 1].range.end)
        let selector: EventSelector
        switch attributed {
        case .first: selector = funnel.steps[0].events
        case .step(let n): selector = funnel.steps[n - 1].events
        case .last: selector = .any
        }
        let first = names[0]
        let eventName: String? = { if case .track(let name) = selector { return name }; if case .type(let name) = selector { return name }; return nil }()
        let isEventField = !first.quoted && (first.text == "props" || first.text == "context") && names.count >= 2
        let isProperty = names.count == 1 && catalog.propertyType(event: eventName, name: first.text) != nil
            && !isProfileFieldButTrait(first.text)
        if isEventField || isProperty {
            guard let expr = eventField(names, range: range, event: eventName, bareProperties: true) else { return nil }
            return .event(expr, attributed)
        }
        guard let expr = field(names, range: range, in: .profile) else { return nil }
        return .profile(expr)
    }

    /// Whether `name` is a profile field other than a trait (built-in, identity kind, metric, value field).
    func isProfileFieldButTrait(_ name: String) -> Bool {
        Self.profileBuiltins[name] != nil || Self.valueBuiltins.contains(name)
            || catalog.identityKinds.contains { $0.name == name } || definition(name)?.kind == .metric
    }

    // MARK: Reports

    mutating func checkReport(_ report: Report) -> TypedStatement? {
        switch report.kind {
        case .funnel:
            guard let name = report.name, var funnel = savedFunnel(name) else { return nil }
            if let by = report.by {
                // The funnel's own attribution still says which step's event is read.
                var attribution = TypedFunnel.Attribution.first
                if case .event(_, let saved)? = funnel.breakdown { attribution = saved }
                guard let breakdown = funnelBreakdown(by, attribution: attribution, funnel: funnel) else { return nil }
                funnel.breakdown = breakdown
            }
            if let window = report.window {
                guard let range = self.window(window) else { return nil }
                funnel.range = range
            }
            return .report(.funnel(funnel))
        case .tiers:
            return .report(.tiers(valueSettings()))
        case .pareto:
            var top = "0.2"
            if let percent = report.percent {
                guard let value = Decimal(string: percent.text, locale: Locale(identifier: "en_US_POSIX")), value > 0, value <= 100 else {
                    self.report(.badSetting(percent.range, "the top share is above 0% and at most 100%"))
                    return nil
                }
                top = "\(value / 100)"
            }
            return .report(.pareto(top: top, valueSettings()))
        case .lifecycle:
            var by: TypedExpr?
            if let names = report.by {
                let range = SourceRange(names[0].range.start, names[names.count - 1].range.end)
                guard let expr = field(names, range: range, in: .profile) else { return nil }
                by = expr
            }
            guard let stage = stageExpr(at: report.range) else { return nil }
            return .report(.lifecycle(by: by, stage: stage))
        case .retention:
            var since: TypedExpr?
            if case .since(let time)? = report.window {
                guard let typed = timeValue(time) else { return nil }
                since = typed
            }
            return .report(.retention(period: report.period ?? .month, since: since, valueSettings()))
        case .valueChain:
            guard let stage = stageExpr(at: report.range) else { return nil }
            return .report(.valueChain(valueSettings(), stage: stage))
        case .valueSettings:
            return .report(.settings(settingsRows()))
        }
    }
}
