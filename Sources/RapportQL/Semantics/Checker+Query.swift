/// Queries: a source, then stages grouped into levels (see `TypedQuery`).
extension Checker {
    /// Where a name is looked up.
    struct Scope {
        enum Base {
            /// A profile: built-in fields, identity kinds, metrics, traits, event aggregates.
            case profile
            /// An event row of the `events` source.
            case event
            /// One event inside an aggregate's `where`: its fields and properties.
            case eventOf(EventSelector)
            /// The rows of the previous level.
            case previous([Column])
            /// No rows at all: a window's times, which may not read fields.
            case noFields
        }

        var base: Base
        /// This level's own output columns, looked up first (`order by spent`).
        var columns: [Column] = []
        /// Whether only `columns` are visible (after `select`).
        var columnsOnly = false
        /// Inside `group by … select`: aggregates run over the group's rows.
        var groupRows = false

        static let profile = Scope(base: .profile)
    }

    mutating func checkQuery(_ query: Query) -> TypedQuery? {
        let source: TypedQuery.Source
        var first = Level()
        switch query.source {
        case .profiles:
            source = .profiles
        case .events:
            source = .events
        case .segment(let name):
            source = .profiles
            guard let predicates = segmentPredicates(name) else { return nil }
            first.filters = predicates
        case .funnelDropped(let name, let step):
            source = .profiles
            guard let funnel = savedFunnel(name) else { return nil }
            guard step >= 1, step < funnel.steps.count else {
                report(.badFunnel(query.sourceRange, "`dropped at` names a step from 1 to \(funnel.steps.count - 1): who reached it and went no further"))
                return nil
            }
            first.filters = [TypedExpr(.funnelDropped(funnel, step: step), .boolean)]
        }
        first.columns = defaultColumns(source)
        let baseScope = Scope(base: source == .profiles ? .profile : .event)
        var levels = [first]
        var ok = true

        func startLevel(_ levels: inout [Level]) {
            let previous = levels[levels.count - 1].columns
            var next = Level()
            next.columns = previous.enumerated().map { Column(name: $1.name, expr: TypedExpr(.previous($0), $1.type)) }
            levels.append(next)
        }

        for stage in query.stages {
            var level = levels[levels.count - 1]
            let startsLevel: Bool
            switch stage.kind {
            case .where: startsLevel = level.projected || level.limit != nil || level.isCount
            case .select: startsLevel = level.projected || level.isCount
            case .orderBy: startsLevel = level.limit != nil || level.isCount
            case .limit: startsLevel = level.limit != nil || level.isCount
            case .groupBy: startsLevel = level.projected || level.limit != nil || level.isCount
            case .count: startsLevel = level.projected || level.limit != nil || level.isCount
            }
            if startsLevel {
                startLevel(&levels)
                level = levels[levels.count - 1]
            }
            // Grouping or counting rows makes their earlier order moot.
            switch stage.kind {
            case .groupBy, .count: level.order = []
            default: break
            }
            let outer = levels.count == 1 ? baseScope : Scope(base: .previous(levels[levels.count - 2].columns))
            switch stage.kind {
            case .where(let predicate):
                if let typed = condition(predicate, in: outer, what: "`where`") { level.filters.append(typed) } else { ok = false }
            case .select(let items):
                guard let columns = selectColumns(items, in: outer) else { ok = false; break }
                level.columns = columns
                level.projected = true
            case .orderBy(let items):
                var scope = outer
                scope.columns = level.columns
                scope.columnsOnly = level.projected
                for item in items {
                    guard let typed = expr(item.expr, in: scope) else { ok = false; continue }
                    guard !Self.isConstant(typed) else {
                        report(.constantKey(item.expr.range, what: "ordering by"))
                        ok = false
                        continue
                    }
                    level.order.append((typed, item.descending))
                }
            case .limit(let limit, let offset):
                level.limit = limit
                level.offset = offset
            case .groupBy(let keys, let items):
                var keyColumns: [Column] = []
                for key in keys {
                    guard let typed = expr(key, in: outer) else { ok = false; continue }
                    guard !Self.isConstant(typed) else {
                        report(.constantKey(key.range, what: "grouping by"))
                        ok = false
                        continue
                    }
                    keyColumns.append(Column(name: columnName(for: key, position: keyColumns.count + 1), expr: typed))
                }
                var rows = outer
                rows.groupRows = true
                var aggregates: [Column] = [Column(name: "count", expr: TypedExpr(.rowAggregate(.count, nil), .number))]
                if let items {
                    guard let columns = selectColumns(items, in: rows, offset: keyColumns.count) else { ok = false; break }
                    aggregates = columns
                }
                level.groupKeys = keyColumns.map(\.expr)
                level.columns = Self.uniqueNames(keyColumns + aggregates)
                level.projected = true
            case .count:
                level.isCount = true
                level.columns = [Column(name: "count", expr: TypedExpr(.rowAggregate(.count, nil), .number))]
            }
            levels[levels.count - 1] = level
        }
        return ok ? TypedQuery(source: source, levels: levels) : nil
    }

    func defaultColumns(_ source: TypedQuery.Source) -> [Column] {
        switch source {
        case .profiles:
            var columns = [Column(name: "id", expr: TypedExpr(.profileColumn(.id), .number))]
            for kind in ["user_id", "email"] where catalog.identityKinds.contains(where: { $0.name == kind }) {
                columns.append(Column(name: kind, expr: TypedExpr(.identity(kind), .text)))
            }
            return columns
        case .events:
            return [EventColumn.ts, .type, .name, .profileId, .messageId]
                .map { Column(name: $0.rawValue, expr: TypedExpr(.eventColumn($0), $0.fieldType)) }
        }
    }

    mutating func selectColumns(_ items: [SelectItem], in scope: Scope, offset: Int = 0) -> [Column]? {
        var columns: [Column] = []
        var ok = true
        for (index, item) in items.enumerated() {
            guard let typed = expr(item.expr, in: scope) else { ok = false; continue }
            if !scope.groupRows, Self.containsRowAggregate(typed) {
                report(.rowAggregateOutsideGroup(item.expr.range))
                ok = false
                continue
            }
            if scope.groupRows, !Self.containsRowAggregate(typed) {
                report(.notAnAggregate(item.expr.range))
                ok = false
                continue
            }
            if scope.groupRows, Self.hasFieldOutsideAggregate(typed) {
                report(.fieldOutsideAggregate(item.expr.range))
                ok = false
                continue
            }
            columns.append(Column(name: item.name?.text ?? columnName(for: item.expr, position: offset + index + 1), expr: typed))
        }
        return ok ? Self.uniqueNames(columns) : nil
    }

    /// A column's name from its expression: the field, `count_purchase`, else `column_N`.
    func columnName(for expr: Expr, position: Int) -> String {
        switch expr.kind {
        case .field(let names):
            return names.last!.text
        case .aggregate(let aggregate):
            var parts = [aggregate.function.text]
            if let argument = aggregate.argument, case .field(let names) = argument.target.kind {
                parts += names.map(\.text)
            }
            if let member = aggregate.member { parts.append(member.text) }
            let joined = parts.joined(separator: "_").lowercased()
            return String(joined.map { $0.isLetter || $0.isNumber ? $0 : "_" })
        default:
            return "column_\(position)"
        }
    }

    /// Names made unique: a repeated name gets the first free `_2`, `_3`, … (never one that
    /// another column has).
    static func uniqueNames(_ columns: [Column]) -> [Column] {
        var used: Set<String> = []
        let all = Set(columns.map(\.name))
        return columns.map { column in
            var column = column
            if used.contains(column.name) {
                var n = 2
                while used.contains("\(column.name)_\(n)") || all.contains("\(column.name)_\(n)") { n += 1 }
                column.name += "_\(n)"
            }
            used.insert(column.name)
            return column
        }
    }

    /// Whether `expr` reads no field at all (ordering or grouping by it does nothing).
    static func isConstant(_ expr: TypedExpr) -> Bool {
        switch expr.kind {
        case .text, .number, .boolean, .timestamp, .duration, .null, .now, .today: return true
        case .not(let e), .negate(let e), .isNull(let e, _): return isConstant(e)
        case .binary(_, let l, let r): return isConstant(l) && isConstant(r)
        case .inList(let e, let items, _): return isConstant(e) && items.allSatisfy(isConstant)
        default: return false
        }
    }

    /// Whether `expr` reads a field outside any row aggregate (not allowed in a group's select).
    static func hasFieldOutsideAggregate(_ expr: TypedExpr) -> Bool {
        switch expr.kind {
        case .rowAggregate: return false
        case .text, .number, .boolean, .timestamp, .duration, .null, .now, .today: return false
        case .not(let e), .negate(let e), .isNull(let e, _), .inSegment(_, let e): return hasFieldOutsideAggregate(e)
        case .binary(_, let l, let r): return hasFieldOutsideAggregate(l) || hasFieldOutsideAggregate(r)
        case .inList(let e, let items, _): return hasFieldOutsideAggregate(e) || items.contains(where: hasFieldOutsideAggregate)
        case .inWindow(let e, _): return hasFieldOutsideAggregate(e)
        default: return true
        }
    }

    static func containsRowAggregate(_ expr: TypedExpr) -> Bool {
        switch expr.kind {
        case .rowAggregate: return true
        case .not(let e), .negate(let e), .isNull(let e, _), .inSegment(_, let e): return containsRowAggregate(e)
        case .binary(_, let l, let r): return containsRowAggregate(l) || containsRowAggregate(r)
        case .inList(let e, let items, _): return containsRowAggregate(e) || items.contains(where: containsRowAggregate)
        case .inWindow(let e, _): return containsRowAggregate(e)
        default: return false
        }
    }
}
