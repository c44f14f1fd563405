/// Expressions, in the context of a profile row (`p`), an event row (`e`) or a row of the
/// previous level (`q`).
extension SQLWriter {
    enum Context: Equatable {
        case profile, event, previous
    }

    mutating func expr(_ e: TypedExpr, _ context: Context) -> SQLText {
        switch e.kind {
        case .text(let value): return "\(bind(.text(value)))"
        case .number(let value): return "\(bind(.numeric(value)))"
        case .boolean(let value): return value ? "TRUE" : "FALSE"
        case .timestamp(let value): return "\(bind(.timestamp(value)))"
        case .duration(let value): return "\(bind(.interval(value)))"
        case .null: return "NULL::\(Self.sqlType(e.type))"
        case .now: return "\(bind(.now))"
        case .today: return "date_trunc('day', \(bind(.now)), 'UTC')"

        case .profileColumn(let column):
            return "p.\(column.rawValue)"
        case .trait(let name):
            return "\(typedJSON("p.traits", key: bind(.text(name)), type: e.type))"
        case .identity(let kind):
            return "(SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = \(bind(.text(kind)))"
                + " ORDER BY i.last_seen DESC, i.value COLLATE \"C\" LIMIT 1)" as SQLText
        case .identityTest(let kind, let op, let values):
            let kindBind = bind(.text(kind))
            let condition = identityCondition(op, values.map { expr($0, context) })
            return "(SELECT bool_or(\(condition)) FROM identities i WHERE i.profile_id = p.id AND i.kind = \(kindBind))"
        case .eventAggregate(let aggregate):
            let column = register(aggregate)
            return aggregate.function == .count || aggregate.function == .sum ? "COALESCE(\(column), 0)" : column
        case .seen(let first):
            let column = register(EventAggregate(function: first ? .min : .max, events: .any))
            return "COALESCE(\(column), p.created_at)"

        case .eventColumn(let column):
            return "e.\(column.rawValue)"
        case .eventProperty(let name):
            return "\(typedJSON("e.props", key: bind(.text(name)), type: e.type))"
        case .eventContext(let path):
            var sql: SQLText = "e.context"
            for (index, key) in path.enumerated() {
                sql.append(.sql((index == path.count - 1 ? " ->> " : " -> ") + bind(.text(key))))
            }
            return "(\(sql))"
        case .previous(let index):
            return "q.c\(index + 1)"
        case .rowAggregate(let function, let argument):
            guard let argument else { return "count(*)" }
            let value = expr(argument, context)
            switch function {
            case .count: return "count(\(value))"
            case .sum: return "COALESCE(sum(\(value)), 0)"
            case .avg: return "avg(\(value))"
            case .min, .first: return "min(\(argument.type == .text ? "\(value) COLLATE \"C\"" : value))"
            case .max, .last: return "max(\(argument.type == .text ? "\(value) COLLATE \"C\"" : value))"
            }

        case .not(let operand): return "(NOT \(expr(operand, context)))"
        case .negate(let operand):
            return operand.type == .number ? "(- (\(expr(operand, context)))::numeric)" : "(- \(expr(operand, context)))"
        case .binary(let op, let left, let right):
            return binary(op, left, right, context)
        case .inList(let value, let items, let negated):
            let list = items.map { expr($0, context) }.joined(separator: ", ")
            return "(\(expr(value, context))\(negated ? " NOT" : "") IN (\(list)))"
        case .isNull(let value, let negated):
            return "(\(expr(value, context)) IS\(negated ? " NOT" : "") NULL)"
        case .inWindow(let value, let window):
            return "(\(windowCondition(expr(value, context), window, context).joined(separator: " AND ")))"
        case .inSegment(_, let predicate):
            return "COALESCE(\(expr(predicate, context)), FALSE)"
        case .value(let field, let settings):
            return valueField(field, settings)
        case .stage(let rules):
            return stage(rules, context)
        case .funnelDropped(let funnel, let step):
            return "p.id IN (SELECT f.profile_id FROM (\(funnelProfiles(funnel))) f WHERE f.last_step = \(step))"
        }
    }

    mutating func binary(_ op: BinaryOperator, _ left: TypedExpr, _ right: TypedExpr, _ context: Context) -> SQLText {
        let l = expr(left, context), r = expr(right, context)
        let text = left.type == .text || right.type == .text
        let numeric = left.type == .number && (right.type == .number || right.type == .null)
        switch op {
        case .and: return "(\(l) AND \(r))"
        case .or: return "(\(l) OR \(r))"
        case .equal: return "(\(l) = \(r))"
        case .notEqual: return "(\(l) <> \(r))"
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            return text ? "(\(l) COLLATE \"C\" \(op.rawValue) \(r))" : "(\(l) \(op.rawValue) \(r))"
        case .contains: return "(strpos(\(l), \(r)) > 0)"
        case .startsWith: return "starts_with(\(l), \(r))"
        case .matches: return "(\(l) ~ \(r))"
        // Numbers compute as numeric: integer binds and counts could overflow a bigint.
        case .add: return numeric ? "((\(l))::numeric + \(r))" : "(\(l) + \(r))"
        case .subtract: return numeric ? "((\(l))::numeric - \(r))" : "(\(l) - \(r))"
        case .multiply: return numeric ? "((\(l))::numeric * \(r))" : "(\(l) * \(r))"
        case .divide:
            // Counts are integers in SQL; RQL numbers divide exactly.
            return numeric ? "((\(l))::numeric / NULLIF(\(r), 0))" : "(\(l) / NULLIF(\(r), 0))"
        }
    }

    /// The PostgreSQL type of an RQL type.
    static func sqlType(_ type: FieldType) -> String {
        switch type {
        case .text, .null: "text"
        case .number: "numeric"
        case .boolean: "boolean"
        case .timestamp: "timestamptz"
        case .duration: "interval"
        }
    }

    func identityCondition(_ op: BinaryOperator, _ values: [SQLText]) -> SQLText {
        switch op {
        case .equal: return values.count == 1 ? "i.value = \(values[0])" : "i.value IN (\(values.joined(separator: ", ")))"
        case .less, .lessOrEqual, .greater, .greaterOrEqual: return "i.value COLLATE \"C\" \(op.rawValue) \(values[0])"
        case .contains: return "strpos(i.value, \(values[0])) > 0"
        case .startsWith: return "starts_with(i.value, \(values[0]))"
        case .matches: return "i.value ~ \(values[0])"
        default: return "i.value = \(values[0])"
        }
    }

    /// A JSON member read as `type`: null when the stored value is of another JSON type,
    /// so no cast can fail.
    func typedJSON(_ column: String, key: String, type: FieldType) -> String {
        switch type {
        case .number: return "(CASE WHEN jsonb_typeof(\(column) -> \(key)) = 'number' THEN (\(column) ->> \(key))::numeric END)"
        case .boolean: return "(CASE WHEN jsonb_typeof(\(column) -> \(key)) = 'boolean' THEN (\(column) ->> \(key))::boolean END)"
        default: return "(CASE WHEN jsonb_typeof(\(column) -> \(key)) = 'string' THEN \(column) ->> \(key) END)"
        }
    }

    mutating func windowCondition(_ ts: SQLText, _ window: TypedWindow, _ context: Context) -> [SQLText] {
        var parts: [SQLText] = []
        if let from = window.from { parts.append("\(ts) >= \(expr(from, context))") }
        if let to = window.to {
            let end = expr(to, context)
            parts.append(window.toWholeDay ? "\(ts) < \(end) + interval '1 day'" : "\(ts) <= \(end)")
        }
        return parts
    }

    /// A window on an event's own time (no holes: its bounds are in an event's context).
    mutating func windowCondition(_ ts: String, _ window: TypedWindow) -> [String] {
        windowCondition(SQLText(stringLiteral: ts), window, .event).map(\.plain)
    }

    /// `e` as a filter: true exactly where `e` is true, false or null elsewhere, for places
    /// that treat null as false (WHERE, FILTER, CASE WHEN). A text member equal to literals
    /// compares the member's text first and checks its JSON type only on a match, which
    /// spares a type check per row on the scans that filter events by a property.
    mutating func truth(_ e: TypedExpr, _ context: Context) -> SQLText {
        switch e.kind {
        case .binary(.and, let left, let right): return "(\(truth(left, context)) AND \(truth(right, context)))"
        case .binary(.or, let left, let right): return "(\(truth(left, context)) OR \(truth(right, context)))"
        case .binary(.equal, let left, let right):
            if let test = memberEquals(left, [right]) ?? memberEquals(right, [left]) { return "\(test)" }
        case .inList(let value, let items, false):
            if let test = memberEquals(value, items) { return "\(test)" }
        default: break
        }
        return expr(e, context)
    }

    /// A text property or trait equal to one of `literals`, as a filter; nil for other shapes.
    mutating func memberEquals(_ member: TypedExpr, _ literals: [TypedExpr]) -> String? {
        guard member.type == .text else { return nil }
        let column: String, name: String
        switch member.kind {
        case .eventProperty(let key): (column, name) = ("e.props", key)
        case .trait(let key): (column, name) = ("p.traits", key)
        default: return nil
        }
        var values: [String] = []
        for literal in literals {
            guard case .text(let value) = literal.kind else { return nil }
            values.append(bind(.text(value)))
        }
        let key = bind(.text(name))
        let test = values.count == 1 ? "= \(values[0])" : "IN (" + values.joined(separator: ", ") + ")"
        // A CASE, so that the planner neither hoists the type check out of an OR nor runs it first.
        return "(CASE WHEN \(column) ->> \(key) \(test) THEN jsonb_typeof(\(column) -> \(key)) = 'string' END)"
    }

    /// Which events `aggregate` reads, as a condition on `e` (nil: every event).
    mutating func eventCondition(_ aggregate: EventAggregate) -> String? { eventFilter(aggregate)?.sql }

    /// Which events `aggregate` reads, as conjuncts (nil: every event).
    mutating func eventFilter(_ aggregate: EventAggregate) -> EventFilter? {
        var parts: [String] = []
        switch aggregate.events {
        case .any: break
        case .track(let name): parts.append("e.type = 'track' AND e.name = \(bind(.text(name)))")
        case .type(let type): parts.append("e.type = \(bind(.text(type)))")
        }
        if let window = aggregate.window { parts += windowCondition("e.ts", window) }
        if let filter = aggregate.filter { parts.append(truth(filter, .event).plain) }
        return parts.isEmpty ? nil : EventFilter(conjuncts: parts)
    }

    /// Adds an aggregate to the level's; returns its hole.
    mutating func register(_ aggregate: EventAggregate) -> SQLText {
        let events = eventFilter(aggregate)
        let condition = events?.sql
        let value = aggregate.property.map { typedJSON("e.props", key: bind(.text($0.name)), type: $0.type) }
        let filterClause = condition.map { " FILTER (WHERE \($0))" } ?? ""
        func written(_ filterClause: String) -> String {
            switch aggregate.function {
            case .count: return "count(\(value ?? "*"))" + filterClause
            case .sum, .avg, .min, .max:
                let collated = aggregate.property?.type == .text ? " COLLATE \"C\"" : ""
                return "\(aggregate.function.rawValue)(\(value ?? "e.ts")\(collated))" + filterClause
            case .first, .last:
                guard let value else { return (aggregate.function == .first ? "min(e.ts)" : "max(e.ts)") + filterClause }
                let direction = aggregate.function == .first ? "" : " DESC"
                return "(array_agg(\(value) ORDER BY e.ts\(direction), e.message_id)\(filterClause))[1]"
            }
        }
        let summary = summaryForm(aggregate, condition: filterClause).map {
            AggregateSQL(filtered: $0, plain: summaryForm(aggregate, condition: "") ?? $0)
        }
        return registerRaw(AggregateSQL(filtered: written(filterClause), plain: written("")), condition: events,
                           namesEvents: aggregate.events != .any, summary: summary, perProfile: perProfileForm(aggregate))
    }

    /// The column of `profile_summaries v` that answers an aggregate of all of a profile's
    /// events over all time (its count, first or last `ts`).
    func perProfileForm(_ aggregate: EventAggregate) -> String? {
        guard aggregate.events == .any, aggregate.window == nil, aggregate.filter == nil, aggregate.property == nil else { return nil }
        switch aggregate.function {
        case .count: return "v.events"
        case .first, .min: return "v.first_ts"
        case .last, .max: return "v.last_ts"
        case .sum, .avg: return nil
        }
    }

    /// The aggregate over `event_summaries`, where they answer it exactly: any time, no
    /// property filter, and of the events themselves (their count, first or last `ts`) or of
    /// a property the summaries hold as the event's whole revenue or cost.
    func summaryForm(_ aggregate: EventAggregate, condition filterClause: String) -> String? {
        guard let summaries, aggregate.window == nil, aggregate.filter == nil else { return nil }
        guard let property = aggregate.property else {
            switch aggregate.function {
            case .count: return "coalesce(sum(e.events)\(filterClause), 0)::bigint"
            case .first, .min: return "min(e.first_ts)\(filterClause)"
            case .last, .max: return "max(e.last_ts)\(filterClause)"
            case .sum, .avg: return nil
            }
        }
        guard aggregate.function == .sum, property.type == .number, case .track(let event) = aggregate.events else { return nil }
        let flow = [ValueSettings.Flow(event: event, property: property.name)]
        if summaries.revenue.filter({ $0.event.sameBytes(as: event) }) == flow { return "sum(e.revenue)\(filterClause)" }
        if summaries.cost.filter({ $0.event.sameBytes(as: event) }) == flow { return "sum(e.cost)\(filterClause)" }
        return nil
    }
}
