/// The checked program as S-expressions with types: `rapport compile --stage typed`.
extension TypedStatement: CustomStringConvertible {
    public var description: String {
        switch self {
        case .query(let query): return query.description
        case .explain(let query, let analyze): return "(explain\(analyze ? "-analyze" : "") \(query))"
        case .explainReport(let report, let analyze): return "(explain\(analyze ? "-analyze" : "") \(TypedStatement.report(report)))"
        case .define(let definition, let uses):
            return "(define \(definition.kind.rawValue) \(definition.name)" + (uses.isEmpty ? "" : " (uses \(uses.joined(separator: " "))))") + ")"
        case .show(let what): return "(show \(what.rawValue))"
        case .describe(let name): return "(describe \(name))"
        case .drop(let kind, let name): return "(drop \(kind.rawValue) \(name))"
        case .defineSync(let sync):
            return "(define sync \(sync.name) (to \(sync.destination)) (fields \(sync.fields.joined(separator: " ")))"
                + " (\(sync.every.map { "every \($0)s" } ?? "manually")) (\(sync.backfill ? "backfill" : "no-backfill")) (send \(sync.send.rawValue))"
                + (sync.uses.isEmpty ? "" : " (uses \(sync.uses.joined(separator: " ")))") + ")"
        case .report(let report): return report.description
        }
    }
}

extension TypedReport: CustomStringConvertible {
    public var description: String {
        switch self {
        case .funnel(let funnel): return "(report funnel \(funnel))"
        case .tiers: return "(report tiers)"
        case .pareto(let top, _): return "(report pareto \(top))"
        case .lifecycle(let by, let stage): return "(report lifecycle" + (by.map { " (by \($0))" } ?? "") + " \(stage))"
        case .retention(let period, let since, _): return "(report retention \(period.rawValue)" + (since.map { " (since \($0))" } ?? "") + ")"
        case .valueChain(_, let stage): return "(report value-chain \(stage))"
        case .settings(let rows): return "(report value-settings" + rows.map { " (\($0.setting) \(Literal.string($0.value)))" }.joined() + ")"
        }
    }
}

extension TypedFunnel: CustomStringConvertible {
    public var description: String {
        var parts = ["(funnel \(name) \(order.rawValue)" + (entry == .first ? " entry-first" : "")]
        for step in steps {
            var text = "(step \(step.optional ? "optional " : "")\(step.events)"
            if let filter = step.filter { text += " (where \(filter))" }
            if let within = step.within { text += " (within '\(within)')" }
            parts.append(text + ")")
        }
        if let within { parts.append("(within '\(within)')") }
        for exclude in excludes { parts.append("(exclude \(exclude.events)" + (exclude.filter.map { " (where \($0))" } ?? "") + ")") }
        switch breakdown {
        case .event(let expr, let attribution)?: parts.append("(by-event \(expr) \(attribution))")
        case .profile(let expr)?: parts.append("(by \(expr))")
        case nil: break
        }
        if let range { parts.append("(range \(range))") }
        return parts.joined(separator: " ") + ")"
    }
}

extension TypedQuery: CustomStringConvertible {
    public var description: String {
        "(query \(source == .profiles ? "profiles" : "events")" + levels.map { " \($0)" }.joined() + ")"
    }
}

extension Level: CustomStringConvertible {
    public var description: String {
        var parts = ["level"]
        if !filters.isEmpty { parts.append("(where " + filters.map(\.description).joined(separator: " ") + ")") }
        if let keys = groupKeys { parts.append("(group-by " + keys.map(\.description).joined(separator: " ") + ")") }
        if isCount {
            parts.append("(count)")
        } else {
            parts.append("(columns " + columns.map { "(\($0.name) \($0.expr))" }.joined(separator: " ") + ")")
        }
        if !order.isEmpty { parts.append("(order " + order.map { "(\($0.descending ? "desc" : "asc") \($0.expr))" }.joined(separator: " ") + ")") }
        if let limit { parts.append("(limit \(limit)\(offset.map { " \($0)" } ?? ""))") }
        return "(" + parts.joined(separator: " ") + ")"
    }
}

extension TypedExpr: CustomStringConvertible {
    public var description: String {
        "\(body):\(type.rawValue)"
    }

    var body: String {
        switch kind {
        case .text(let value): return Literal.string(value).description
        case .number(let value): return value
        case .boolean(let value): return value ? "true" : "false"
        case .timestamp(let value): return value
        case .duration(let value): return "'\(value)'"
        case .null: return "null"
        case .now: return "now"
        case .today: return "today"
        case .profileColumn(let column): return "profile.\(column.rawValue)"
        case .trait(let name): return "(trait \(Literal.string(name)))"
        case .identity(let kind): return "(identity \(kind))"
        case .identityTest(let kind, let op, let values):
            return "(any-identity \(kind) \(op.rawValue) " + values.map(\.description).joined(separator: " ") + ")"
        case .eventAggregate(let aggregate): return aggregate.description
        case .seen(let first): return first ? "first_seen" : "last_seen"
        case .eventColumn(let column): return "event.\(column.rawValue)"
        case .eventProperty(let name): return "(property \(Literal.string(name)))"
        case .eventContext(let path): return "(context " + path.map { Literal.string($0).description }.joined(separator: " ") + ")"
        case .previous(let index): return "(column \(index + 1))"
        case .rowAggregate(let function, let argument): return "(rows-\(function.rawValue)" + (argument.map { " \($0)" } ?? "") + ")"
        case .not(let operand): return "(not \(operand))"
        case .negate(let operand): return "(- \(operand))"
        case .binary(let op, let l, let r): return "(\(op.rawValue) \(l) \(r))"
        case .inList(let value, let items, let negated):
            return "(\(negated ? "not-in" : "in") \(value) " + items.map(\.description).joined(separator: " ") + ")"
        case .isNull(let value, let negated): return "(\(negated ? "is-not-null" : "is-null") \(value))"
        case .inWindow(let value, let window): return "(in-window \(value) \(window))"
        case .inSegment(let name, let predicate): return "(in-segment \(name) \(predicate))"
        case .value(let field, _): return "(value \(field.rawValue))"
        case .stage(let rules): return "(stage" + rules.map { " (\($0.0.rawValue) \($0.1))" }.joined() + ")"
        case .funnelDropped(let funnel, let step): return "(funnel-dropped \(funnel.name) \(step))"
        }
    }
}

extension TypedWindow: CustomStringConvertible {
    public var description: String {
        "(window \(from.map(\.description) ?? "-") \(to.map(\.description) ?? "-")\(toWholeDay ? " whole-day" : ""))"
    }
}

extension EventAggregate: CustomStringConvertible {
    public var description: String {
        var text = "(events-\(function.rawValue) "
        switch events {
        case .any: text += "any"
        case .track(let name): text += "(track \(Literal.string(name)))"
        case .type(let type): text += "(type \(type))"
        }
        if let property { text += " (property \(Literal.string(property.name)):\(property.type.rawValue))" }
        if let filter { text += " (where \(filter))" }
        if let window { text += " \(window)" }
        return text + ")"
    }
}
