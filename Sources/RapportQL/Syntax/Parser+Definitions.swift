/// Funnels, value settings and reports: parsed in full (the checker says what runs yet).
extension Parser {
    mutating func parseEventName() throws(Failure) -> Name {
        if current.isKeyword("any") {
            let token = advance()
            return Name("any", token.range)
        }
        return try parseName("an event name")
    }

    /// `a -> b within 1 day -> optional c -> d within 7 days exclude refund where amount > 0`.
    /// A `within` right after the last step is the whole funnel's window.
    mutating func parseFunnel() throws(Failure) -> Funnel {
        var steps: [Funnel.Step] = []
        repeat {
            let optional = accept(keyword: "optional") != nil
            let event = try parseEventName()
            var filter: Expr?
            if accept(keyword: "where") != nil { filter = try parseExpression() }
            var within: DurationLiteral?
            if accept(keyword: "within") != nil { within = try parseDuration() }
            steps.append(Funnel.Step(optional: optional, event: event, filter: filter, within: within))
        } while accept(symbol: "->") != nil
        var options: [Funnel.Option] = []
        if steps.count > 1, let last = steps.last?.within {
            steps[steps.count - 1].within = nil
            options.append(.within(last))
        }
        while true {
            if accept(keyword: "within") != nil {
                options.append(.within(try parseDuration()))
            } else if accept(keyword: "exclude") != nil {
                let event = try parseEventName()
                var filter: Expr?
                if accept(keyword: "where") != nil { filter = try parseExpression() }
                options.append(.exclude(event, filter))
            } else if accept(keyword: "order") != nil {
                let token = current
                guard token.kind == .word, ["sequential", "strict", "any"].contains(token.text.lowercased()) else {
                    throw fail(.expected("`sequential`, `strict` or `any`", found: token))
                }
                advance()
                options.append(.order(Name(token.text.lowercased(), token.range)))
            } else if accept(keyword: "entry") != nil {
                let token = current
                guard token.kind == .word, ["every", "first"].contains(token.text.lowercased()) else {
                    throw fail(.expected("`every` or `first` (which step-1 events start an attempt)", found: token))
                }
                advance()
                options.append(.entry(Name(token.text.lowercased(), token.range)))
            } else if accept(keyword: "by") != nil {
                let field = try parseFieldPath()
                var attribution: [Name] = []
                if accept(keyword: "attribute") != nil {
                    let token = current
                    switch token.text.lowercased() {
                    case "first", "last":
                        advance()
                        attribution = [Name(token.text.lowercased(), token.range)]
                    case "step":
                        advance()
                        let number = current
                        _ = try parseInteger("a step number")
                        attribution = [Name("step", token.range), Name(number.text, number.range)]
                    default:
                        throw fail(.expected("`first`, `last` or `step N`", found: token))
                    }
                }
                options.append(.by(field, attribution: attribution))
            } else {
                break
            }
        }
        return Funnel(steps: steps, options: options)
    }

    /// `sync NAME to DEST = QUERY [every D | manually] [backfill | no backfill]
    /// [send events | send traits | send events and traits]`, the options in any order.
    mutating func parseSync() throws(Failure) -> Statement.Kind {
        advance()
        let name = try parseName("a sync name")
        _ = try expect(keyword: "to")
        let destination = try parseName("a destination name")
        _ = try expect(symbol: "=")
        inSync = true
        defer { inSync = false }
        let query = try parseQuery()
        var options: [(option: SyncStatement.Option, range: SourceRange)] = []
        while !atEnd, !current.isSymbol(";") {
            let start = current.range.start
            if accept(keyword: "every") != nil {
                options.append((.every(try parseDuration()), range(from: start)))
            } else if accept(keyword: "manually") != nil {
                options.append((.manually, range(from: start)))
            } else if accept(keyword: "backfill") != nil {
                options.append((.backfill(true), range(from: start)))
            } else if accept(keyword: "no") != nil {
                _ = try expect(keyword: "backfill")
                options.append((.backfill(false), range(from: start)))
            } else if accept(keyword: "send") != nil {
                if accept(keyword: "traits") != nil {
                    options.append((.send("traits"), range(from: start)))
                } else if accept(keyword: "events") != nil {
                    if accept(keyword: "and") != nil {
                        _ = try expect(keyword: "traits")
                        options.append((.send("events and traits"), range(from: start)))
                    } else {
                        options.append((.send("events"), range(from: start)))
                    }
                } else {
                    throw fail(.expected("`events`, `traits` or `events and traits`", found: current))
                }
            } else {
                throw fail(.expected("a stage after `|`, or a sync option (`every 1 hour`, `manually`, `backfill`, `no backfill`, `send …`)",
                                     found: current,
                                     hint: Diagnostic.suggestion(for: current.text, among: ["every", "manually", "backfill", "no", "send"])))
            }
        }
        return .sync(SyncStatement(name: name, destination: destination, query: query, options: options))
    }

    mutating func parseFieldPath() throws(Failure) -> [Name] {
        var names = [try parseName("a field")]
        while accept(symbol: ".") != nil { names.append(try parseName("a field")) }
        return names
    }

    /// `set value revenue = purchase.amount`, `set value discount = 10%`.
    mutating func parseSetting() throws(Failure) -> Statement.Kind {
        advance()
        _ = try expect(keyword: "value")
        let setting = try parseName("`revenue`, `cost`, `discount` or `tiers`")
        _ = try expect(symbol: "=")
        var values: [SettingValue] = []
        repeat {
            if current.kind == .percent {
                let token = advance()
                values.append(.percent(token.text, token.range))
            } else {
                let event = try parseEventName()
                _ = try expect(symbol: ".", "`.` and a property (`purchase.amount`)")
                values.append(.eventValue(event: event, property: try parseName("a property")))
            }
        } while accept(symbol: ",") != nil
        return .setValue(setting, values)
    }

    mutating func parseShow() throws(Failure) -> Statement.Kind {
        let start = advance().range.start
        let token = current
        let word = token.kind == .word ? token.text.lowercased() : ""
        if let target = ShowTarget(rawValue: word) {
            advance()
            return .show(target)
        }
        switch word {
        case "funnel":
            advance()
            let name = try parseName("a funnel name")
            var by: [Name]?
            if accept(keyword: "by") != nil { by = try parseFieldPath() }
            var window: Window?
            if current.isKeyword("since") || current.isKeyword("between") { window = try parseWindow() }
            return .report(Report(kind: .funnel, name: name, by: by, range: range(from: start), window: window))
        case "tiers", "pareto":
            advance()
            var percent: (text: String, range: SourceRange)?
            if word == "pareto", accept(keyword: "top") != nil {
                guard current.kind == .percent else { throw fail(.expected("a percentage such as `20%`", found: current)) }
                let token = advance()
                percent = (token.text, token.range)
            }
            return .report(Report(kind: word == "pareto" ? .pareto : .tiers, name: nil, by: nil, range: range(from: start), percent: percent))
        case "lifecycle":
            advance()
            var by: [Name]?
            if accept(keyword: "by") != nil { by = try parseFieldPath() }
            return .report(Report(kind: .lifecycle, name: nil, by: by, range: range(from: start)))
        case "retention":
            advance()
            _ = try expect(keyword: "by")
            guard current.kind == .word, let period = RetentionPeriod(rawValue: current.text.lowercased()) else {
                throw fail(.expected("`week` or `month`", found: current))
            }
            advance()
            var window: Window?
            if accept(keyword: "since") != nil { window = .since(try parseAdditive()) }
            return .report(Report(kind: .retention, name: nil, by: nil, range: range(from: start), window: window, period: period))
        case "value":
            advance()
            let what = current
            guard what.isKeyword("chain") || what.isKeyword("settings") else {
                throw fail(.expected("`chain` or `settings`", found: what))
            }
            advance()
            return .report(Report(kind: what.isKeyword("chain") ? .valueChain : .valueSettings, name: nil, by: nil, range: range(from: start)))
        default:
            let choices = ShowTarget.allCases.map(\.rawValue) + ["funnel", "tiers", "pareto", "lifecycle", "retention", "value"]
            throw fail(.expected("what to show (segments, metrics, traits, events, funnel NAME, tiers, …)", found: token,
                                 hint: Diagnostic.suggestion(for: token.text, among: choices)))
        }
    }
}
