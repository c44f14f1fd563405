import Foundation

/// Typing expressions: literals, operators and their type rules.
extension Checker {
    /// `expr`, which must be boolean (a `where`).
    mutating func condition(_ expr: Expr, in scope: Scope, what: String) -> TypedExpr? {
        guard let typed = self.expr(expr, in: scope) else { return nil }
        guard typed.type == .boolean || typed.type == .null else {
            report(.notACondition(expr.range, what: what, found: typed.type))
            return nil
        }
        return typed
    }

    mutating func expr(_ expr: Expr, in scope: Scope) -> TypedExpr? {
        switch expr.kind {
        case .literal(let literal):
            return self.literal(literal, range: expr.range)
        case .field(let names):
            return field(names, range: expr.range, in: scope)
        case .aggregate(let aggregate):
            return self.aggregate(aggregate, range: expr.range, in: scope)
        case .did(let ref):
            guard case .profile = scope.base, !scope.columnsOnly else {
                report(.eventAggregateMisplaced(expr.range))
                return nil
            }
            guard let counted = eventAggregate(.count, ref, member: nil, range: expr.range) else { return nil }
            return TypedExpr(.binary(.greater, counted, TypedExpr(.number("0"), .number)), .boolean)
        case .inSegment(let name):
            guard case .profile = scope.base, !scope.columnsOnly else {
                report(.eventAggregateMisplaced(expr.range))
                return nil
            }
            guard let predicates = segmentPredicates(name) else { return nil }
            let all = predicates.dropFirst().reduce(predicates.first ?? TypedExpr(.boolean(true), .boolean)) {
                TypedExpr(.binary(.and, $0, $1), .boolean)
            }
            return TypedExpr(.inSegment(name.text, all), .boolean)
        case .not(let operand):
            guard let typed = condition(operand, in: scope, what: "`not`") else { return nil }
            return TypedExpr(.not(typed), .boolean)
        case .negate(let operand):
            guard let typed = self.expr(operand, in: scope) else { return nil }
            guard [.number, .duration].contains(typed.type) else {
                report(.badOperand(expr.range, op: "-", found: typed.type))
                return nil
            }
            return TypedExpr(.negate(typed), typed.type)
        case .binary(let op, let left, let right):
            return binary(op, left, right, range: expr.range, in: scope)
        case .inList(let value, let items, let negated):
            guard let left = self.expr(value, in: scope) else { return nil }
            var typedItems: [TypedExpr] = []
            for item in items {
                guard let typed = self.expr(item, in: scope) else { return nil }
                guard compatible(left.type, typed.type) else {
                    report(.typeMismatch(item.range, op: "in", left: left.type, right: typed.type))
                    return nil
                }
                typedItems.append(Self.retyped(typed, as: left.type))
            }
            if case .identity(let kind) = left.kind {
                let test = TypedExpr(.identityTest(kind: kind, op: .equal, values: typedItems.map { normalized($0, kind: kind) }), .boolean)
                return negated ? TypedExpr(.not(test), .boolean) : test
            }
            return TypedExpr(.inList(left, typedItems, negated: negated), .boolean)
        case .isNull(let value, let negated):
            guard let typed = self.expr(value, in: scope) else { return nil }
            return TypedExpr(.isNull(typed, negated: negated), .boolean)
        case .within(let value, let duration):
            guard let typed = self.expr(value, in: scope) else { return nil }
            guard typed.type == .timestamp || typed.type == .null else {
                report(.typeMismatch(value.range, op: "within", left: typed.type, right: .duration))
                return nil
            }
            guard let window = window(within: duration) else { return nil }
            return TypedExpr(.inWindow(typed, window), .boolean)
        }
    }

    func compatible(_ a: FieldType, _ b: FieldType) -> Bool {
        a == b || a == .null || b == .null
    }

    mutating func binary(_ op: BinaryOperator, _ left: Expr, _ right: Expr, range: SourceRange, in scope: Scope) -> TypedExpr? {
        switch op {
        case .and, .or:
            let l = condition(left, in: scope, what: "`\(op.rawValue)`")
            let r = condition(right, in: scope, what: "`\(op.rawValue)`")
            guard let l, let r else { return nil }
            return TypedExpr(.binary(op, l, r), .boolean)
        default:
            break
        }
        let l = expr(left, in: scope)
        let r = expr(right, in: scope)
        guard let l, let r else { return nil }
        switch op {
        case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual:
            guard compatible(l.type, r.type) else {
                report(.typeMismatch(range, op: op.rawValue, left: l.type, right: r.type))
                return nil
            }
            let (l, r) = (Self.retyped(l, as: r.type), Self.retyped(r, as: l.type))
            if case .identity(let kind) = l.kind {
                let positive = op == .notEqual ? BinaryOperator.equal : op
                let test = TypedExpr(.identityTest(kind: kind, op: positive, values: [normalized(r, kind: kind)]), .boolean)
                return op == .notEqual ? TypedExpr(.not(test), .boolean) : test
            }
            if case .identity(let kind) = r.kind {
                // `"m" > email` is `email < "m"`.
                let mirrored: [BinaryOperator: BinaryOperator] = [.equal: .equal, .notEqual: .equal, .less: .greater,
                                                                  .lessOrEqual: .greaterOrEqual, .greater: .less, .greaterOrEqual: .lessOrEqual]
                let test = TypedExpr(.identityTest(kind: kind, op: mirrored[op] ?? op, values: [normalized(l, kind: kind)]), .boolean)
                return op == .notEqual ? TypedExpr(.not(test), .boolean) : test
            }
            return TypedExpr(.binary(op, l, r), .boolean)
        case .contains, .startsWith, .matches:
            guard compatible(l.type, .text), compatible(r.type, .text) else {
                report(.typeMismatch(range, op: op.rawValue, left: l.type, right: r.type))
                return nil
            }
            if op == .matches {
                guard case .text(let pattern) = r.kind else {
                    report(.patternNotLiteral(right.range))
                    return nil
                }
                if !RegexSubset.accepts(pattern) {
                    report(.badPattern(right.range))
                    return nil
                }
            }
            if case .identity(let kind) = l.kind {
                return TypedExpr(.identityTest(kind: kind, op: op, values: [r]), .boolean)
            }
            return TypedExpr(.binary(op, l, r), .boolean)
        case .add, .subtract, .multiply, .divide:
            guard let type = arithmeticType(op, l.type, r.type) else {
                report(.badArithmetic(range, op: op.rawValue, left: l.type, right: r.type))
                return nil
            }
            return TypedExpr(.binary(op, l, r), type)
        case .and, .or:
            return nil
        }
    }

    func arithmeticType(_ op: BinaryOperator, _ l: FieldType, _ r: FieldType) -> FieldType? {
        switch (op, l, r) {
        case (_, .number, .number): return .number
        case (.add, .timestamp, .duration), (.subtract, .timestamp, .duration), (.add, .duration, .timestamp): return .timestamp
        case (.subtract, .timestamp, .timestamp): return .duration
        case (.add, .duration, .duration), (.subtract, .duration, .duration): return .duration
        case (.multiply, .duration, .number), (.multiply, .number, .duration), (.divide, .duration, .number): return .duration
        default: return nil
        }
    }

    /// A literal compared with an identity kind, normalised the way ingestion stores it.
    func normalized(_ value: TypedExpr, kind: String) -> TypedExpr {
        guard case .text(let text) = value.kind,
              let rule = catalog.identityKinds.first(where: { $0.name == kind }) else { return value }
        switch rule.normalization {
        case "email": return TypedExpr(.text(text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()), .text)
        case "phone": return TypedExpr(.text(String(text.unicodeScalars.filter { $0.isASCII && $0.properties.numericType == .decimal }.map(Character.init))), .text)
        case "trim": return TypedExpr(.text(text.trimmingCharacters(in: .whitespacesAndNewlines)), .text)
        default: return value
        }
    }

    mutating func literal(_ literal: Literal, range: SourceRange) -> TypedExpr? {
        switch literal {
        case .string(let text): return TypedExpr(.text(text), .text)
        case .number(let digits): return TypedExpr(.number(digits), .number)
        case .percent(let digits):
            guard digits.count <= 30, let value = Decimal(string: digits, locale: Locale(identifier: "en_US_POSIX")) else {
                report(.badNumber(range))
                return nil
            }
            return TypedExpr(.number("\(value / 100)"), .number)
        case .date(let text):
            guard let instant = TimeLiteral.date(text) else {
                report(.badTime(range, text))
                return nil
            }
            return TypedExpr(.timestamp(instant), .timestamp)
        case .timestamp(let text):
            guard let instant = TimeLiteral.timestamp(text) else {
                report(.badTime(range, text))
                return nil
            }
            return TypedExpr(.timestamp(instant), .timestamp)
        case .duration(let duration):
            return interval(duration).map { TypedExpr(.duration($0), .duration) }
        case .boolean(let value): return TypedExpr(.boolean(value), .boolean)
        case .now: return TypedExpr(.now, .timestamp)
        case .today: return TypedExpr(.today, .timestamp)
        case .null: return TypedExpr(.null, .null)
        }
    }


    /// A `null` literal given the type of what it meets, so its SQL is typed.
    static func retyped(_ expr: TypedExpr, as type: FieldType) -> TypedExpr {
        guard case .null = expr.kind, expr.type == .null else { return expr }
        return TypedExpr(.null, type)
    }

    /// A duration as PostgreSQL interval text (`90 days`, `3 months`), or nil (reported) past
    /// 1,000 years, so that time arithmetic stays in PostgreSQL's range.
    mutating func interval(_ duration: DurationLiteral) -> String? {
        let limits: [DurationLiteral.Unit: Int] = [.minute: 525_960_000, .hour: 8_766_000, .day: 365_250, .week: 52_178,
                                                   .month: 12_000, .year: 1_000]
        guard duration.amount <= limits[duration.unit, default: 0] else {
            report(.durationTooLong(duration.range))
            return nil
        }
        return "\(duration.amount) \(duration.unit.rawValue)\(duration.amount == 1 ? "" : "s")"
    }

    /// `within D`: from `now - D` to `now`.
    mutating func window(within duration: DurationLiteral) -> TypedWindow? {
        guard let interval = interval(duration) else { return nil }
        let from = TypedExpr(.binary(.subtract, TypedExpr(.now, .timestamp), TypedExpr(.duration(interval), .duration)), .timestamp)
        return TypedWindow(from: from, to: TypedExpr(.now, .timestamp))
    }

    mutating func window(_ window: Window) -> TypedWindow? {
        switch window {
        case .within(let duration):
            return self.window(within: duration)
        case .since(let time):
            guard let from = timeValue(time) else { return nil }
            return TypedWindow(from: from, to: nil)
        case .between(let start, let end):
            let from = timeValue(start), to = timeValue(end)
            guard let from, let to else { return nil }
            var wholeDay = false
            if case .literal(.date) = end.kind { wholeDay = true }
            return TypedWindow(from: from, to: to, toWholeDay: wholeDay)
        }
    }

    /// A time in a window: a date, timestamp, `now`, `today` or arithmetic on them.
    mutating func timeValue(_ expr: Expr) -> TypedExpr? {
        guard let typed = self.expr(expr, in: Scope(base: .noFields)) else { return nil }
        guard typed.type == .timestamp else {
            report(.notATime(expr.range, found: typed.type))
            return nil
        }
        return typed
    }
}
