/// Syncs (Grammar/README.md, "Syncs"): an audience, the fields it sends, and how often.
extension Checker {
    /// The shortest schedule a sync may have, in seconds.
    static let shortestSchedule = 300

    mutating func checkSync(_ sync: SyncStatement, in script: Script) -> TypedStatement? {
        var ok = true
        if !Self.isDefinitionName(sync.name) {
            report(.badDefinitionName(sync.name))
            ok = false
        }
        if !catalog.destinationNames.contains(sync.destination.text) {
            report(.unknownDestination(sync.destination, candidates: catalog.destinationNames))
            ok = false
        }
        var every: Int? = 3600
        var backfill = true
        var send = SyncDefinition.Send.eventsAndTraits
        var given: Set<String> = []
        for (option, range) in sync.options {
            let group: String
            switch option {
            case .every(let duration):
                group = "the schedule"
                let seconds = duration.amount.multipliedReportingOverflow(by: Self.seconds(duration.unit))
                if seconds.overflow || seconds.partialValue < Self.shortestSchedule {
                    if seconds.partialValue < Self.shortestSchedule, !seconds.overflow { report(.tooOften(range)); ok = false }
                    every = Int.max
                } else {
                    every = seconds.partialValue
                }
            case .manually:
                group = "the schedule"
                every = nil
            case .backfill(let on):
                group = "`backfill`"
                backfill = on
            case .send(let what):
                group = "`send`"
                send = SyncDefinition.Send(rawValue: what) ?? .eventsAndTraits
            }
            if !given.insert(group).inserted {
                report(.duplicateOption(range, group == "the schedule" ? "the schedule (`every …` or `manually`)" : group))
                ok = false
            }
        }
        guard let (_, fields) = checkAudience(sync.query), ok else { return nil }
        let definition = SyncDefinition(
            name: sync.name.text, destination: sync.destination.text, query: script.text(of: sync.query.range), fields: fields,
            every: every.map { min($0, Self.longestSchedule) }, backfill: backfill, send: send, uses: uses.sorted())
        return .defineSync(definition)
    }

    /// The longest schedule kept (ten years): a longer one is as good as never.
    static let longestSchedule = 10 * 366 * 86_400

    static func seconds(_ unit: DurationLiteral.Unit) -> Int {
        switch unit {
        case .minute: 60
        case .hour: 3600
        case .day: 86_400
        case .week: 7 * 86_400
        case .month: 30 * 86_400
        case .year: 365 * 86_400
        }
    }

    static func isDefinitionName(_ name: Name) -> Bool {
        let text = name.text
        guard !name.quoted, text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }),
              let first = text.first, !first.isNumber, text.utf8.count <= 63 else { return false }
        return true
    }

    /// Checks `query` as an audience: profiles, with `where`, `select`, `order by` and `limit`
    /// stages and no `profile_id` column. Returns the query as it runs (its first column is
    /// `profile_id`, then the fields) and the field names.
    mutating func checkAudience(_ query: Query) -> (TypedQuery, [String])? {
        var ok = true
        if case .events = query.source {
            report(.notAnAudience(query.sourceRange,
                                  "a sync sends profiles: start its audience with `profiles`, `segment NAME` or `funnel NAME dropped at N`"))
            ok = false
        }
        var fields: [String]?
        for stage in query.stages {
            switch stage.kind {
            case .where, .orderBy, .limit:
                continue
            case .select(let items):
                if let reserved = items.first(where: { Self.columnName($0) == "profile_id" }) {
                    report(Diagnostic(code: "name-taken", message: "`profile_id` is reserved: every record carries the profile id",
                                      range: reserved.name?.range ?? reserved.expr.range, hint: "name the column otherwise (`select pid = …`)"))
                    ok = false
                }
                fields = items.map { Self.columnName($0) ?? "" }
            case .groupBy, .count:
                report(.notAnAudience(stage.range, "a sync sends profiles, not groups or counts: its stages are `where`, `select`, `order by` and `limit`"))
                ok = false
            }
        }
        guard ok else { return nil }
        guard let typed = checkQuery(Self.withProfileID(query)) else { return nil }
        return (typed, fields == nil ? [] : typed.columns.dropFirst().map(\.name))
    }

    /// The name a select item's column gets, when the item says it (`email`, `x = …`).
    static func columnName(_ item: SelectItem) -> String? {
        if let name = item.name { return name.text }
        if case .field(let names) = item.expr.kind { return names.map(\.text).joined(separator: ".") }
        return nil
    }

    /// `query` with `profile_id` as the first column of every `select` (or of a `select` added
    /// at the end), so that each row of the audience names its profile.
    static func withProfileID(_ query: Query) -> Query {
        var query = query
        var selected = false
        for index in query.stages.indices {
            guard case .select(var items) = query.stages[index].kind else { continue }
            let range = query.stages[index].range
            let source = Name(selected ? "profile_id" : "id", range)
            items.insert(SelectItem(name: Name("profile_id", range), expr: Expr(.field([source]), range)), at: 0)
            query.stages[index].kind = .select(items)
            selected = true
        }
        if !selected {
            let range = SourceRange(query.range.end, query.range.end)
            query.stages.append(Stage(kind: .select([SelectItem(name: Name("profile_id", range), expr: Expr(.field([Name("id", range)]), range))]),
                                      range: range))
        }
        return query
    }
}
