/// Names: profile fields, identity kinds, metrics, traits, event fields and properties, the
/// columns of an earlier level; and event aggregates.
extension Checker {
    static let profileBuiltins: [String: FieldType] = Dictionary(uniqueKeysWithValues: ProfileColumn.allCases.map { ($0.rawValue, $0.type) })
        .merging(["first_seen": .timestamp, "last_seen": .timestamp]) { own, _ in own }
    /// The customer-value fields (Grammar/README.md, "Customer value"); `traits.X` reaches a trait of the same name.
    static let valueBuiltins: Set<String> = [
        "revenue", "cost", "orders", "first_order", "last_order", "clv", "tier", "recency", "frequency", "monetary", "rfm", "stage",
    ]

    mutating func field(_ names: [Name], range: SourceRange, in scope: Scope) -> TypedExpr? {
        let first = names[0]
        if names.count == 1, let index = scope.columns.firstIndex(where: { $0.name == first.text }) {
            return scope.columns[index].expr
        }
        if scope.columnsOnly {
            report(.unknownColumn(first, columns: scope.columns.map(\.name)))
            return nil
        }
        switch scope.base {
        case .profile:
            return profileField(names, range: range)
        case .event:
            return eventField(names, range: range, event: nil)
        case .eventOf(let selector):
            switch selector {
            case .any: return eventField(names, range: range, event: nil, bareProperties: true)
            case .track(let name), .type(let name): return eventField(names, range: range, event: name, bareProperties: true)
            }
        case .noFields:
            report(.notATime(range, found: nil))
            return nil
        case .previous(let columns):
            guard names.count == 1, let index = columns.firstIndex(where: { $0.name == first.text }) else {
                report(.unknownColumn(first, columns: columns.map(\.name)))
                return nil
            }
            return TypedExpr(.previous(index), columns[index].type)
        }
    }

    mutating func profileField(_ names: [Name], range: SourceRange) -> TypedExpr? {
        let first = names[0]
        if names.count == 2, first.text == "traits", !first.quoted {
            guard let type = catalog.traitType(names[1].text) else {
                report(.unknownField(names[1], candidates: catalog.traitNames))
                return nil
            }
            return TypedExpr(.trait(names[1].text), type)
        }
        guard names.count == 1 else {
            if first.text == "any" || catalog.hasEvent(first.text) || first.text == "page" || first.text == "screen" {
                report(.propertyNeedsAggregate(range, event: first.text, property: names[1].text))
            } else {
                report(.unknownField(first, candidates: profileFieldNames()))
            }
            return nil
        }
        let name = first.text
        if let column = ProfileColumn(rawValue: name) {
            return TypedExpr(.profileColumn(column), column.type)
        }
        if name == "first_seen" || name == "last_seen" {
            return TypedExpr(.seen(first: name == "first_seen"), .timestamp)
        }
        if catalog.identityKinds.contains(where: { $0.name == name }) {
            return TypedExpr(.identity(name), .text)
        }
        if let saved = definition(name), saved.kind == .metric {
            return metricExpr(first)
        }
        if Self.valueBuiltins.contains(name), !first.quoted {
            return valueField(first)
        }
        if let type = catalog.traitType(name) {
            return TypedExpr(.trait(name), type)
        }
        if catalog.hasEvent(name) {
            report(.eventNeedsAggregate(first))
            return nil
        }
        report(.unknownField(first, candidates: profileFieldNames()))
        return nil
    }

    func profileFieldNames() -> [String] {
        Array(Self.profileBuiltins.keys) + Self.valueBuiltins.sorted() + catalog.identityKinds.map(\.name) + catalog.traitNames
            + catalog.definitionList.filter { $0.kind == .metric }.map(\.name)
    }

    /// An event's field (`ts`, `name`, …), `props.X`, `context.X…`, or inside an aggregate's
    /// `where` a bare property of the event.
    mutating func eventField(_ names: [Name], range: SourceRange, event: String?, bareProperties: Bool = false) -> TypedExpr? {
        let first = names[0]
        // Inside `E where …` only `ts`, `source` and `received_at` are the event's own fields;
        // other bare names are its properties.
        let columns: [EventColumn] = bareProperties ? [.ts, .source, .receivedAt] : EventColumn.allCases
        if names.count == 1, !first.quoted, let column = EventColumn(rawValue: first.text), columns.contains(column) {
            return TypedExpr(.eventColumn(column), column.fieldType)
        }
        if names.count >= 2, !first.quoted, first.text == "context" {
            return TypedExpr(.eventContext(names.dropFirst().map(\.text)), .text)
        }
        var propertyName = first
        if names.count == 2, !first.quoted, first.text == "props" {
            propertyName = names[1]
        } else if !(bareProperties && names.count == 1) {
            let candidates = EventColumn.allCases.map(\.rawValue) + catalog.propertyNames(event: event).map { "props.\($0)" }
            report(.unknownField(first, candidates: candidates))
            return nil
        }
        guard let type = catalog.propertyType(event: event, name: propertyName.text) else {
            report(.unknownProperty(propertyName, event: event, candidates: catalog.propertyNames(event: event)))
            return nil
        }
        return TypedExpr(.eventProperty(propertyName.text), type)
    }

    mutating func aggregate(_ aggregate: Aggregate, range: SourceRange, in scope: Scope) -> TypedExpr? {
        guard let function = AggregateFunction(rawValue: aggregate.function.text) else { return nil }
        if scope.groupRows {
            return rowAggregate(function, aggregate, range: range, in: scope)
        }
        guard case .profile = scope.base, !scope.columnsOnly else {
            report(.eventAggregateMisplaced(range))
            return nil
        }
        guard let argument = aggregate.argument else {
            report(.countRowsOutsideGroup(range))
            return nil
        }
        return eventAggregate(function, argument, member: aggregate.member, range: range)
    }

    /// Resolves `purchase`, `purchase.amount`, `any`, `page` to the events and property read.
    mutating func eventTarget(_ target: Expr) -> (EventSelector, Name?)? {
        guard case .field(let names) = target.kind, names.count <= 2 else {
            report(.expectedEvent(target.range))
            return nil
        }
        let first = names[0]
        let selector: EventSelector
        if first.text == "any", !first.quoted {
            selector = .any
        } else if (first.text == "page" || first.text == "screen"), !first.quoted || catalog.hasEvent(first.text) {
            selector = .type(first.text)
        } else if catalog.hasEvent(first.text) {
            selector = .track(first.text)
        } else {
            report(.unknownEvent(first, candidates: catalog.eventNames.filter { $0 != "page" && $0 != "screen" }))
            return nil
        }
        return (selector, names.count == 2 ? names[1] : nil)
    }

    mutating func propertyType(_ selector: EventSelector, _ property: Name) -> FieldType? {
        let event: String?
        switch selector {
        case .any: event = nil
        case .track(let name), .type(let name): event = name
        }
        guard let type = catalog.propertyType(event: event, name: property.text) else {
            report(.unknownProperty(property, event: event, candidates: catalog.propertyNames(event: event)))
            return nil
        }
        return type
    }

    mutating func eventAggregate(_ function: AggregateFunction, _ ref: EventRef, member: Name?, range: SourceRange) -> TypedExpr? {
        guard let (selector, propertyName) = eventTarget(ref.target) else { return nil }
        var aggregate = EventAggregate(function: function, events: selector)
        var ok = true
        if let propertyName {
            if let type = propertyType(selector, propertyName) { aggregate.property = (propertyName.text, type) } else { ok = false }
        }
        if let filter = ref.filter {
            if let typed = condition(filter, in: Scope(base: .eventOf(selector)), what: "`where`") { aggregate.filter = typed } else { ok = false }
        }
        if let window = ref.window {
            if let typed = self.window(window) { aggregate.window = typed } else { ok = false }
        }
        guard ok else { return nil }
        // `first(signup).ts`, `last(purchase).amount`.
        if let member {
            guard function == .first || function == .last, aggregate.property == nil else {
                report(.badMember(member, function: function.rawValue))
                return nil
            }
            if member.text != "ts" || member.quoted {
                guard let type = propertyType(selector, member) else { return nil }
                aggregate.property = (member.text, type)
            }
        }
        let type: FieldType
        switch function {
        case .count:
            type = .number
        case .sum, .avg:
            guard let property = aggregate.property else {
                report(.aggregateNeedsProperty(range, function: function.rawValue))
                return nil
            }
            guard property.type == .number else {
                report(.aggregateNeedsNumber(range, function: function.rawValue, found: property.type))
                return nil
            }
            type = .number
        case .min, .max, .first, .last:
            type = aggregate.property?.type ?? .timestamp
            if type == .boolean, function == .min || function == .max {
                report(.notOrderable(range, function: function.rawValue))
                return nil
            }
        }
        return TypedExpr(.eventAggregate(aggregate), type)
    }

    /// `count()`, `sum(x)` … over a group's rows. On profiles, `sum(purchase.amount)` totals the
    /// group's events: the sum of its profiles' sums (so `avg` is their sum over their count).
    mutating func rowAggregate(_ function: AggregateFunction, _ aggregate: Aggregate, range: SourceRange, in scope: Scope) -> TypedExpr? {
        var inner = scope
        inner.groupRows = false
        guard let argument = aggregate.argument else {
            guard function == .count else {
                report(.aggregateNeedsProperty(range, function: function.rawValue))
                return nil
            }
            return TypedExpr(.rowAggregate(.count, nil), .number)
        }
        if case .profile = scope.base, case .field(let names) = argument.target.kind,
           names[0].text == "any" || catalog.hasEvent(names[0].text) || ["page", "screen"].contains(names[0].text) {
            return groupEventAggregate(function, argument, member: aggregate.member, range: range)
        }
        guard argument.filter == nil, argument.window == nil, aggregate.member == nil else {
            report(.groupArgumentTooComplex(argument.range))
            return nil
        }
        guard let value = expr(argument.target, in: inner) else { return nil }
        guard value.type != .null else {
            report(.nullHasNoType(argument.range))
            return nil
        }
        switch function {
        case .count:
            return TypedExpr(.rowAggregate(.count, value), .number)
        case .sum, .avg:
            guard value.type == .number || value.type == .null else {
                report(.aggregateNeedsNumber(range, function: function.rawValue, found: value.type))
                return nil
            }
            return TypedExpr(.rowAggregate(function, value), .number)
        case .min, .max:
            guard value.type != .boolean else {
                report(.notOrderable(range, function: function.rawValue))
                return nil
            }
            return TypedExpr(.rowAggregate(function, value), value.type)
        case .first, .last:
            report(.firstLastInGroup(range, function: function.rawValue))
            return nil
        }
    }

    mutating func groupEventAggregate(_ function: AggregateFunction, _ ref: EventRef, member: Name?, range: SourceRange) -> TypedExpr? {
        switch function {
        case .count, .sum:
            guard let perProfile = eventAggregate(function, ref, member: member, range: range) else { return nil }
            return TypedExpr(.rowAggregate(.sum, perProfile), .number)
        case .min, .max:
            guard let perProfile = eventAggregate(function, ref, member: member, range: range) else { return nil }
            return TypedExpr(.rowAggregate(function, perProfile), perProfile.type)
        case .first, .last:
            guard let perProfile = eventAggregate(function == .first ? .min : .max, ref, member: nil, range: range), member == nil else {
                report(.firstLastInGroup(range, function: function.rawValue))
                return nil
            }
            return TypedExpr(.rowAggregate(function == .first ? .min : .max, perProfile), perProfile.type)
        case .avg:
            guard let total = eventAggregate(.sum, ref, member: member, range: range),
                  let count = eventAggregate(.count, ref, member: member, range: range) else { return nil }
            let sum = TypedExpr(.rowAggregate(.sum, total), .number)
            let n = TypedExpr(.rowAggregate(.sum, count), .number)
            return TypedExpr(.binary(.divide, sum, n), .number)
        }
    }
}
