/// How deep an expression tree goes, measured without recursion, so that a hostile query
/// (a thousand nested parentheses, a chain of two thousand `or`s) is refused by the parser
/// instead of exhausting the stack of every later stage.
extension Expr {
    /// The expressions directly inside this one.
    var children: [Expr] {
        switch kind {
        case .literal, .field, .inSegment: return []
        case .aggregate(let aggregate): return aggregate.argument.map(\.expressions) ?? []
        case .did(let ref): return ref.expressions
        case .not(let e), .negate(let e), .isNull(let e, _), .within(let e, _): return [e]
        case .binary(_, let l, let r): return [l, r]
        case .inList(let e, let items, _): return [e] + items
        }
    }

    /// The length of the longest path from this node to a leaf.
    var depth: Int {
        var deepest = 0
        var stack: [(Expr, Int)] = [(self, 1)]
        while let (node, level) = stack.popLast() {
            deepest = max(deepest, level)
            for child in node.children { stack.append((child, level + 1)) }
        }
        return deepest
    }
}

extension EventRef {
    var expressions: [Expr] {
        var all = [target]
        if let filter { all.append(filter) }
        switch window {
        case .since(let time): all.append(time)
        case .between(let from, let to): all += [from, to]
        default: break
        }
        return all
    }
}

extension Query {
    var expressions: [Expr] {
        stages.flatMap { stage -> [Expr] in
            switch stage.kind {
            case .where(let e): return [e]
            case .select(let items): return items.map(\.expr)
            case .orderBy(let items): return items.map(\.expr)
            case .groupBy(let keys, let items): return keys + (items ?? []).map(\.expr)
            case .limit, .count: return []
            }
        }
    }
}

extension Statement {
    /// Every top-level expression of the statement.
    var expressions: [Expr] {
        switch kind {
        case .query(let q), .segment(_, let q), .explain(_, let q): return q.expressions
        case .sync(let sync): return sync.query.expressions
        case .metric(_, let e), .lifecycleStage(_, let e): return [e]
        case .funnel(_, let funnel):
            return funnel.steps.compactMap(\.filter) + funnel.options.compactMap { option in
                if case .exclude(_, let filter) = option { return filter }
                return nil
            }
        case .setValue, .report, .explainReport, .show, .describe, .drop: return []
        }
    }
}
