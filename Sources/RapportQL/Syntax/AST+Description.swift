/// The syntax tree as S-expressions, one statement per line: what `rapport compile --stage ast`
/// prints and the golden files hold.
extension Script: CustomStringConvertible {
    public var description: String {
        statements.map(\.description).joined(separator: "\n")
    }
}

extension Statement: CustomStringConvertible {
    public var description: String {
        switch kind {
        case .query(let query): return query.description
        case .segment(let name, let query): return "(segment \(name) \(query))"
        case .sync(let sync):
            let options = sync.options.map { option -> String in
                switch option.option {
                case .every(let d): " (every \(d.amount) \(d.unit.rawValue))"
                case .manually: " (manually)"
                case .backfill(let on): on ? " (backfill)" : " (no-backfill)"
                case .send(let what): " (send \(what))"
                }
            }.joined()
            return "(sync \(sync.name) (to \(sync.destination)) \(sync.query)\(options))"
        case .metric(let name, let expr): return "(metric \(name) \(expr))"
        case .funnel(let name, let funnel): return "(funnel \(name) \(funnel))"
        case .lifecycleStage(let stage, let expr): return "(lifecycle-stage \(stage) \(expr))"
        case .setValue(let name, let values):
            return "(set-value \(name)" + values.map { value in
                switch value {
                case .eventValue(let event, let property): " \(event).\(property)"
                case .percent(let text, _): " \(text)%"
                }
            }.joined() + ")"
        case .report(let report):
            var parts = ["show", report.kind == .valueChain ? "value-chain" : report.kind == .valueSettings ? "value-settings" : report.kind.rawValue]
            if let name = report.name { parts.append(name.description) }
            if let by = report.by { parts.append("(by \(by.map(\.description).joined(separator: ".")))") }
            if let period = report.period { parts.append("(by \(period.rawValue))") }
            if let percent = report.percent { parts.append("(top \(percent.text)%)") }
            switch report.window {
            case .since(let time)?: parts.append("(since \(time))")
            case .between(let from, let to)?: parts.append("(between \(from) \(to))")
            case .within(let duration)?: parts.append("(within \(duration))")
            case nil: break
            }
            return "(" + parts.joined(separator: " ") + ")"
        case .show(let what): return "(show \(what.rawValue))"
        case .describe(let name): return "(describe \(name))"
        case .drop(let kind, let name): return "(drop \(kind.text) \(name))"
        case .explain(let analyze, let query): return "(explain\(analyze ? "-analyze" : "") \(query))"
        case .explainReport(let analyze, let report): return "(explain\(analyze ? "-analyze" : "") \(Statement(kind: .report(report), range: range)))"
        }
    }
}

extension Name: CustomStringConvertible {
    public var description: String { quoted ? "`\(text)`" : text }
}

extension Query: CustomStringConvertible {
    public var description: String {
        let source: String
        switch self.source {
        case .profiles: source = "profiles"
        case .events: source = "events"
        case .segment(let name): source = "(segment \(name))"
        case .funnelDropped(let name, let step): source = "(funnel-dropped \(name) \(step))"
        }
        return "(query \(source)" + stages.map { " \($0)" }.joined() + ")"
    }
}

extension Stage: CustomStringConvertible {
    public var description: String {
        switch kind {
        case .where(let expr): return "(where \(expr))"
        case .select(let items): return "(select" + items.map { " \($0)" }.joined() + ")"
        case .orderBy(let items):
            return "(order-by" + items.map { " (\($0.descending ? "desc" : "asc") \($0.expr))" }.joined() + ")"
        case .limit(let limit, let offset): return "(limit \(limit)" + (offset.map { " (offset \($0))" } ?? "") + ")"
        case .groupBy(let keys, let items):
            return "(group-by (" + keys.map(\.description).joined(separator: " ") + ")"
                + (items.map { " (select" + $0.map { " \($0)" }.joined() + ")" } ?? "") + ")"
        case .count: return "(count)"
        }
    }
}

extension SelectItem: CustomStringConvertible {
    public var description: String {
        name.map { "(as \($0) \(expr))" } ?? expr.description
    }
}

extension Expr: CustomStringConvertible {
    public var description: String {
        switch kind {
        case .literal(let literal): return literal.description
        case .field(let names): return names.map(\.description).joined(separator: ".")
        case .aggregate(let aggregate):
            var text = "(\(aggregate.function.text)" + (aggregate.argument.map { " \($0)" } ?? "") + ")"
            if let member = aggregate.member { text = "(member \(text) \(member))" }
            return text
        case .did(let ref): return "(did \(ref))"
        case .inSegment(let name): return "(in-segment \(name))"
        case .not(let operand): return "(not \(operand))"
        case .negate(let operand): return "(- \(operand))"
        case .binary(let op, let left, let right): return "(\(op.rawValue) \(left) \(right))"
        case .inList(let value, let items, let negated):
            return "(\(negated ? "not-in" : "in") \(value) (" + items.map(\.description).joined(separator: " ") + "))"
        case .isNull(let value, let negated): return "(\(negated ? "is-not-null" : "is-null") \(value))"
        case .within(let value, let duration): return "(within \(value) \(duration))"
        }
    }
}

extension EventRef: CustomStringConvertible {
    public var description: String {
        var text = target.description
        if let filter { text += " (where \(filter))" }
        switch window {
        case .within(let duration): text += " (within \(duration))"
        case .since(let time): text += " (since \(time))"
        case .between(let from, let to): text += " (between \(from) \(to))"
        case nil: break
        }
        return text
    }
}

extension Literal: CustomStringConvertible {
    public var description: String {
        switch self {
        case .string(let text): return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n") + "\""
        case .number(let digits): return digits
        case .percent(let digits): return digits + "%"
        case .date(let text), .timestamp(let text): return text
        case .duration(let duration): return duration.description
        case .boolean(let value): return value ? "true" : "false"
        case .now: return "now"
        case .today: return "today"
        case .null: return "null"
        }
    }
}

extension DurationLiteral: CustomStringConvertible {
    public var description: String { "\(amount)\(unit.rawValue)" }
}

extension Funnel: CustomStringConvertible {
    public var description: String {
        let stepText = steps.map { step in
            var text = (step.optional ? "(optional " : "(step ") + step.event.description
            if let filter = step.filter { text += " (where \(filter))" }
            if let within = step.within { text += " (within \(within))" }
            return text + ")"
        }
        let optionText = options.map { option in
            switch option {
            case .within(let duration): "(within \(duration))"
            case .exclude(let event, let filter): "(exclude \(event)" + (filter.map { " (where \($0))" } ?? "") + ")"
            case .order(let order): "(order \(order.text))"
            case .entry(let entry): "(entry \(entry.text))"
            case .by(let field, let attribution):
                "(by \(field.map(\.description).joined(separator: "."))"
                    + (attribution.isEmpty ? "" : " (attribute \(attribution.map(\.text).joined(separator: " ")))") + ")"
            }
        }
        return (stepText + optionText).joined(separator: " ")
    }
}
