/// Expressions and predicates, by precedence: `or` < `and` < `not` < comparisons
/// (`= != < <= > >=`, `in`, `is null`, `contains`, `starts with`, `matches`, `within`)
/// < `+ -` < `* /` < unary `-` < primaries.
extension Parser {
    static let aggregateFunctions: Set<String> = ["count", "sum", "avg", "min", "max", "first", "last"]
    static let longUnits: [String: DurationLiteral.Unit] = [
        "minute": .minute, "minutes": .minute, "hour": .hour, "hours": .hour, "day": .day, "days": .day,
        "week": .week, "weeks": .week, "month": .month, "months": .month, "year": .year, "years": .year,
    ]
    static let shortUnits: [String: DurationLiteral.Unit] = ["min": .minute, "h": .hour, "d": .day, "w": .week, "mo": .month, "y": .year]

    /// Counts one more level of nesting for the duration of `body`.
    mutating func nested<T>(_ body: (inout Parser) throws(Failure) -> T) throws(Failure) -> T {
        nesting += 1
        defer { nesting -= 1 }
        if nesting > Self.maxNesting { throw fail(.tooDeep(current.range)) }
        return try body(&self)
    }

    mutating func parseExpression() throws(Failure) -> Expr {
        try nested { parser throws(Failure) in try parser.parseDisjunction() }
    }

    mutating func parseDisjunction() throws(Failure) -> Expr {
        var left = try parseConjunction()
        var terms = 1
        while accept(keyword: "or") != nil {
            terms += 1
            if terms > Self.maxDepth { throw fail(.tooDeep(left.range)) }
            let right = try parseConjunction()
            left = Expr(.binary(.or, left, right), SourceRange(left.range.start, right.range.end))
        }
        return left
    }

    mutating func parseConjunction() throws(Failure) -> Expr {
        var left = try parseNegation()
        var terms = 1
        while accept(keyword: "and") != nil {
            terms += 1
            if terms > Self.maxDepth { throw fail(.tooDeep(left.range)) }
            let right = try parseNegation()
            left = Expr(.binary(.and, left, right), SourceRange(left.range.start, right.range.end))
        }
        return left
    }

    mutating func parseNegation() throws(Failure) -> Expr {
        if let not = accept(keyword: "not") {
            let operand = try nested { parser throws(Failure) in try parser.parseNegation() }
            return Expr(.not(operand), SourceRange(not.range.start, operand.range.end))
        }
        return try parseComparison()
    }

    mutating func parseComparison() throws(Failure) -> Expr {
        let left = try parseAdditive()
        let start = left.range.start
        if current.kind == .symbol, let op = BinaryOperator(rawValue: current.text), op.isComparison {
            advance()
            let right = try parseAdditive()
            return Expr(.binary(op, left, right), range(from: start))
        }
        if current.isKeyword("not"), peek().isKeyword("in") {
            advance()
            advance()
            return Expr(.inList(left, try parseList(), negated: true), range(from: start))
        }
        if accept(keyword: "in") != nil {
            return Expr(.inList(left, try parseList(), negated: false), range(from: start))
        }
        if accept(keyword: "is") != nil {
            let negated = accept(keyword: "not") != nil
            _ = try expect(keyword: "null")
            return Expr(.isNull(left, negated: negated), range(from: start))
        }
        if accept(keyword: "contains") != nil {
            return Expr(.binary(.contains, left, try parseAdditive()), range(from: start))
        }
        if accept(keyword: "starts") != nil {
            _ = try expect(keyword: "with")
            return Expr(.binary(.startsWith, left, try parseAdditive()), range(from: start))
        }
        if accept(keyword: "matches") != nil {
            return Expr(.binary(.matches, left, try parseAdditive()), range(from: start))
        }
        if accept(keyword: "within") != nil {
            return Expr(.within(left, try parseDuration()), range(from: start))
        }
        return left
    }

    mutating func parseList() throws(Failure) -> [Expr] {
        _ = try expect(symbol: "(", "`(` and a list of values")
        var items: [Expr] = []
        repeat {
            items.append(try parseAdditive())
            if items.count > 1000 { throw fail(.tooManyValues(items[0].range)) }
        } while accept(symbol: ",") != nil
        _ = try expect(symbol: ")", "`,` or `)`")
        return items
    }

    mutating func parseAdditive() throws(Failure) -> Expr {
        var left = try parseTerm()
        var terms = 1
        while current.isSymbol("+") || current.isSymbol("-") {
            terms += 1
            if terms > Self.maxDepth { throw fail(.tooDeep(left.range)) }
            let op: BinaryOperator = advance().text == "+" ? .add : .subtract
            let right = try parseTerm()
            left = Expr(.binary(op, left, right), SourceRange(left.range.start, right.range.end))
        }
        return left
    }

    mutating func parseTerm() throws(Failure) -> Expr {
        var left = try parseUnary()
        var terms = 1
        while current.isSymbol("*") || current.isSymbol("/") {
            terms += 1
            if terms > Self.maxDepth { throw fail(.tooDeep(left.range)) }
            let op: BinaryOperator = advance().text == "*" ? .multiply : .divide
            let right = try parseUnary()
            left = Expr(.binary(op, left, right), SourceRange(left.range.start, right.range.end))
        }
        return left
    }

    mutating func parseUnary() throws(Failure) -> Expr {
        if let minus = accept(symbol: "-") {
            let operand = try nested { parser throws(Failure) in try parser.parseUnary() }
            let range = SourceRange(minus.range.start, operand.range.end)
            // -7 is a number literal; -x a negation.
            if case .literal(.number(let digits)) = operand.kind, !digits.hasPrefix("-") {
                return Expr(.literal(.number("-" + digits)), range)
            }
            return Expr(.negate(operand), range)
        }
        return try parsePrimary()
    }

    mutating func parsePrimary() throws(Failure) -> Expr {
        let token = current
        let start = token.range.start
        switch token.kind {
        case .string:
            advance()
            return Expr(.literal(.string(token.text)), token.range)
        case .number:
            if peek().kind == .word, Self.longUnits[peek().text.lowercased()] != nil {
                return Expr(.literal(.duration(try parseDuration())), range(from: start))
            }
            advance()
            return Expr(.literal(.number(token.text)), token.range)
        case .percent:
            advance()
            return Expr(.literal(.percent(token.text)), token.range)
        case .date:
            advance()
            return Expr(.literal(.date(token.text)), token.range)
        case .timestamp:
            advance()
            return Expr(.literal(.timestamp(token.text)), token.range)
        case .duration:
            return Expr(.literal(.duration(try parseDuration())), token.range)
        case .symbol where token.text == "(":
            advance()
            let inner = try parseExpression()
            _ = try expect(symbol: ")", "`)`")
            return Expr(inner.kind, range(from: start))
        case .word:
            let word = token.text.lowercased()
            switch word {
            case "true", "false":
                advance()
                return Expr(.literal(.boolean(word == "true")), token.range)
            case "null":
                advance()
                return Expr(.literal(.null), token.range)
            case "now":
                advance()
                return Expr(.literal(.now), token.range)
            case "today":
                advance()
                return Expr(.literal(.today), token.range)
            case "did":
                advance()
                return Expr(.did(try parseEventRef()), range(from: start))
            case "in":
                advance()
                return Expr(.inSegment(try parseName("a segment name")), range(from: start))
            default:
                if Self.aggregateFunctions.contains(word), peek().isSymbol("(") {
                    return try parseAggregate()
                }
            }
            return try parseField()
        case .quotedName:
            return try parseField()
        default:
            throw fail(.expected("a value or a field", found: token))
        }
    }

    mutating func parseField() throws(Failure) -> Expr {
        let start = current.range.start
        var names: [Name] = []
        if current.isKeyword("any") {
            let token = advance()
            names.append(Name("any", token.range))
        } else {
            names.append(try parseName("a value or a field"))
        }
        while current.isSymbol("."), peek().kind == .word || peek().kind == .quotedName {
            advance()
            if current.kind == .word {
                // After a dot any word is a name (`props.order`, `first(x).ts`).
                let token = advance()
                names.append(Name(token.text, token.range))
            } else {
                names.append(try parseName())
            }
        }
        return Expr(.field(names), range(from: start))
    }

    mutating func parseAggregate() throws(Failure) -> Expr {
        let start = current.range.start
        let function = advance()
        advance()  // (
        var argument: EventRef?
        if accept(symbol: ")") == nil {
            argument = try parseEventRef()
            _ = try expect(symbol: ")", "`)`")
        }
        var member: Name?
        if current.isSymbol("."), peek().kind == .word || peek().kind == .quotedName {
            advance()
            let token = advance()
            member = Name(token.text, token.range, quoted: token.kind == .quotedName)
        }
        let aggregate = Aggregate(function: Name(function.text.lowercased(), function.range), argument: argument, member: member)
        return Expr(.aggregate(aggregate), range(from: start))
    }

    /// `purchase.amount where amount > 50 within 90 days`: the events, the predicate and window.
    mutating func parseEventRef() throws(Failure) -> EventRef {
        let start = current.range.start
        let target = try parseAdditive()
        var filter: Expr?
        if accept(keyword: "where") != nil { filter = try parseExpression() }
        let window = try parseWindow()
        return EventRef(target: target, filter: filter, window: window, range: range(from: start))
    }

    mutating func parseWindow() throws(Failure) -> Window? {
        if accept(keyword: "within") != nil { return .within(try parseDuration()) }
        if accept(keyword: "since") != nil { return .since(try parseAdditive()) }
        if accept(keyword: "between") != nil {
            let from = try parseAdditive()
            _ = try expect(keyword: "and")
            return .between(from, try parseAdditive())
        }
        return nil
    }

    /// `90 days`, `1 year`, `90d`, `30min`.
    mutating func parseDuration() throws(Failure) -> DurationLiteral {
        let token = current
        if token.kind == .duration {
            advance()
            let digits = token.text.prefix { $0.isNumber }
            let unit = Self.shortUnits[String(token.text.dropFirst(digits.count))]
            guard let amount = Int(digits), let unit else { throw fail(.badDuration(token.range, token.text)) }
            return DurationLiteral(amount: amount, unit: unit, range: token.range)
        }
        if token.kind == .number, let unit = Self.longUnits[peek().text.lowercased()], peek().kind == .word {
            advance()
            let unitToken = advance()
            guard let amount = Int(token.text) else { throw fail(.badDuration(range(from: token.range.start), token.text)) }
            return DurationLiteral(amount: amount, unit: unit, range: SourceRange(token.range.start, unitToken.range.end))
        }
        throw fail(.expected("a duration such as `90 days` or `2w`", found: token))
    }
}
