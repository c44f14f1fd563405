/// A funnel as one relation with a row per live profile that entered it (Grammar/README.md,
/// "Funnels"): `profile_id`, `b` (the breakdown), `r1…rk` (whether it reached each step),
/// `d1…dk` (the time from the previous required step's match) and `last_step`, all of the
/// profile's best attempt.
///
/// A profile's first attempt is always a best one unless the funnel has a window, an
/// exclusion or `order strict` (a later start only finds later matches), so only those funnels
/// match every attempt: a row per attempt, keyed by its entry, of which `bestAttempt` keeps
/// the one reaching the highest step, the earliest of those.
///
/// A sequential funnel takes its entries from the first step's events grouped by profile,
/// then probes, per entered profile, for each later step's first match (by the events'
/// (name, profile, ts) index), so a step reads only the events of the profiles still in it.
/// `order any` joins each step's events to the entries and keeps each step's first match. A
/// strict funnel needs each profile's whole event order, so it numbers the events of the
/// profiles that entered.
extension SQLWriter {
    /// Events of a step or an exclusion, as a condition on `e`.
    mutating func selectorCondition(_ events: EventSelector, _ filter: TypedExpr?) -> String {
        var parts: [String] = []
        switch events {
        case .any: break
        case .track(let name): parts.append("e.type = 'track' AND e.name = \(bind(.text(name)))")
        case .type(let type): parts.append("e.type = \(bind(.text(type)))")
        }
        if let filter { parts.append(truth(filter, .event).plain) }
        return parts.isEmpty ? "TRUE" : parts.joined(separator: " AND ")
    }

    /// Whether two steps could match one event.
    static func overlap(_ a: EventSelector, _ b: EventSelector) -> Bool {
        switch (a, b) {
        case (.any, _), (_, .any): return true
        case (.track(let x), .track(let y)), (.type(let x), .type(let y)): return x == y
        default: return false
        }
    }

    static let eventOrder = "e.ts, e.message_id COLLATE \"C\""

    mutating func funnelProfiles(_ funnel: TypedFunnel) -> String {
        let attempts = funnel.entry == .every
            && (funnel.within != nil || funnel.steps.contains { $0.within != nil } || !funnel.excludes.isEmpty || funnel.order == .strict)
        switch funnel.order {
        case .sequential: return sequentialFunnel(funnel, attempts: attempts).printed()
        case .any: return anyOrderFunnel(funnel, attempts: attempts).printed()
        case .strict: return strictFunnel(funnel, attempts: attempts).printed()
        }
    }

    /// Of a relation with a row per attempt (`entry` orders the attempts of a profile, as
    /// their entries come in event order), each profile's best: the highest step reached, the
    /// earliest entry among those.
    static func bestAttempt(_ funnel: TypedFunnel, _ attempts: Select, entry: String) -> Select {
        let k = funnel.steps.count
        let columns = ["profile_id"] + (funnel.breakdown == nil ? [] : ["b"]) + (1...k).map { "r\($0)" } + (1...k).map { "d\($0)" } + ["last_step"]
        let best = Select(distinct: .on(["f.profile_id"]), columns: ["f.*"], from: attempts.named("f"),
                          orderBy: ["f.profile_id", "f.last_step DESC NULLS LAST", entry], layout: .oneLine)
        return Select(columns: columns, from: best.named("best"), layout: .oneLine)
    }

    /// The breakdown expression on an event `e`, if the breakdown reads the matches' events.
    mutating func eventBreakdown(_ funnel: TypedFunnel) -> String? {
        guard case .event(let expr, _)? = funnel.breakdown else { return nil }
        return self.expr(expr, .event).plain
    }

    /// Whether step `index`'s match must carry the breakdown value.
    static func carriesBreakdown(_ funnel: TypedFunnel, _ index: Int) -> Bool {
        guard case .event(_, let attribution)? = funnel.breakdown else { return false }
        switch attribution {
        case .first: return index == 0
        case .last: return true
        case .step(let n): return index == n - 1
        }
    }

    /// Whether the match at `time` counts: it exists and comes before the first excluded event
    /// (`exclusion`, when the funnel excludes any).
    static func matched(_ time: String, _ funnel: TypedFunnel, exclusion: String = "x.x") -> String {
        "(\(time) IS NOT NULL" + (funnel.excludes.isEmpty ? "" : " AND (\(exclusion) IS NULL OR \(time) < \(exclusion))") + ")"
    }

    /// The final relation from each step's match time and whether it is reached; `entered`
    /// is a condition the entered profiles must meet besides being live.
    mutating func funnelResult(_ funnel: TypedFunnel, from: String, joins: [String] = [], times: [String], reachedBase: [String],
                               entry: String, entered: String? = nil, liveChecked: Bool = false, attemptColumns: [String] = [],
                               breakdownColumn: (Int) -> String = { "s\($0 + 1).b" }) -> Select {
        let k = funnel.steps.count
        var reached: [String] = []
        for index in 0..<k {
            reached.append(index == 0 ? "TRUE" : reachedBase[index])
        }
        // An ordered funnel's optional step counts only when no later than the next required
        // step's match.
        for index in 0..<k where funnel.steps[index].optional && funnel.order != .any {
            if let next = (index + 1..<k).first(where: { !funnel.steps[$0].optional }) {
                reached[index] = "(\(reached[index]) AND (NOT \(reached[next]) OR \(times[index]) <= \(times[next])))"
            }
        }
        var columns = ["\(entry) AS profile_id"]
        if let breakdown = funnel.breakdown {
            switch breakdown {
            case .profile:
                columns.append("pb.c2 AS b")
            case .event(_, let attribution):
                switch attribution {
                case .first: columns.append("\(breakdownColumn(0)) AS b")
                case .step(let n): columns.append("CASE WHEN \(reached[n - 1]) THEN \(breakdownColumn(n - 1)) END AS b")
                case .last:
                    columns.append("CASE " + (0..<k).reversed().map { "WHEN \(reached[$0]) THEN \(breakdownColumn($0))" }.joined(separator: " ") + " END AS b")
                }
            }
        }
        for index in 0..<k { columns.append("\(reached[index]) AS r\(index + 1)") }
        for index in 0..<k {
            let previous = funnel.previousRequired(index).map { times[$0] }
            columns.append((previous.map { "\(times[index]) - \($0)" } ?? "NULL::interval") + " AS d\(index + 1)")
        }
        columns.append("CASE " + (0..<k).reversed().map { "WHEN \(reached[$0]) THEN \($0 + 1)" }.joined(separator: " ") + " END AS last_step")
        columns += attemptColumns
        var result = Select(columns: columns, from: from, joins: joins)
        if case .profile(let expr)? = funnel.breakdown {
            result.joins.append("LEFT JOIN \(profileRows([expr]).named("pb")) ON pb.c1 = \(entry)")
        }
        result.conditions = entered.map { [$0] } ?? []
        if !liveChecked { result.conditions.append(Self.live(entry)) }
        return result
    }

    /// The exclusion bound: each entered profile's first excluded event at or after the entry.
    mutating func exclusion(_ funnel: TypedFunnel, entries: String, entryTime: String, attempts: Bool = false) -> String? {
        guard !funnel.excludes.isEmpty else { return nil }
        let conditions = funnel.excludes.map { "(" + selectorCondition($0.events, $0.filter) + ")" }
        var on = "e.profile_id = s.profile_id AND (\(conditions.joined(separator: " OR "))) AND e.ts >= s.\(entryTime)"
        if let within = funnel.within { on += " AND e.ts <= s.\(entryTime) + \(bind(.interval(within)))" }
        let key = attempts ? "s.profile_id, s.\(entryTime)" : "s.profile_id"
        return Select(columns: [key, "min(e.ts) AS x"], from: "\(entries) s", joins: ["JOIN events e ON \(on)"], groupBy: [key],
                      layout: .oneLine).printed()
    }

    /// The first event (in event order) among those `condition` selects: its time, and its
    /// message id and breakdown value when asked for.
    func firstMatch(message: Bool, breakdown: String?) -> String {
        var columns = ["min(e.ts) AS t"]
        if message { columns.append("(array_agg(e.message_id ORDER BY \(Self.eventOrder)))[1] AS m") }
        if let breakdown { columns.append("(array_agg(\(breakdown) ORDER BY \(Self.eventOrder)))[1] AS b") }
        return columns.joined(separator: ", ")
    }

    /// The first event in event order (after `bounds`, before `limits`) that matches a step,
    /// for profile `s1`'s row: a LATERAL probe, by the events' (name, profile, ts) index for a
    /// named step, so a step reads only the events of the profiles still in the funnel. When
    /// only the time is needed, the probe is `min(ts)` (one index-only read) and `limits` (each
    /// a condition on the match's time, given how to name it) drop a match that comes too late.
    mutating func probe(_ events: EventSelector, _ filter: TypedExpr?, bounds: [String], limits: [(String) -> String], message: Bool,
                        breakdown: String?, alias: String) -> String {
        let conditions = ["e.profile_id = s1.profile_id", selectorCondition(events, filter)] + bounds
        guard message || breakdown != nil else {
            let first = Select(columns: ["min(e.ts) AS t"], from: "events e", conditions: conditions, having: limits.map { $0("min(e.ts)") },
                               layout: .oneLine)
            return "LEFT JOIN LATERAL \(first.named(alias)) ON TRUE"
        }
        var columns = ["e.ts AS t"]
        if message { columns.append("e.message_id AS m") }
        if let breakdown { columns.append("\(breakdown) AS b") }
        let inner = Select(columns: columns, from: "events e", conditions: conditions, orderBy: [Self.eventOrder], limit: 1, layout: .oneLine)
        guard !limits.isEmpty else { return "LEFT JOIN LATERAL \(inner.named(alias)) ON TRUE" }
        let kept = Select(columns: ["q.*"], from: inner.named("q"), conditions: limits.map { $0("q.t") }, layout: .oneLine)
        return "LEFT JOIN LATERAL \(kept.named(alias)) ON TRUE"
    }

    /// Sequential: the entries (each live profile's first step-1 event, or each of its step-1
    /// events when every attempt counts, and the first excluded event at or after it, from one
    /// pass grouped by profile), then for each later step a probe for its first match at or
    /// after the previous required step's, so each step reads only the events of the profiles
    /// (or attempts) that reached the step before.
    mutating func sequentialFunnel(_ funnel: TypedFunnel, attempts: Bool) -> Select {
        let k = funnel.steps.count
        let breakdown = eventBreakdown(funnel)
        var needsMessage = Array(repeating: false, count: k)
        for index in 0..<k {
            for earlier in 0..<index where !funnel.steps[earlier].optional && Self.overlap(funnel.steps[earlier].events, funnel.steps[index].events) {
                needsMessage[earlier] = true
            }
        }
        var entry = [selectorCondition(funnel.steps[0].events, funnel.steps[0].filter)]
        if let range = funnel.range { entry += windowCondition("e.ts", range) }
        let entryCondition = entry.joined(separator: " AND ")
        let entryBreakdown = Self.carriesBreakdown(funnel, 0) ? breakdown : nil
        let live = Self.live("e.profile_id")
        let entries: Select
        // Attempts entered at one instant match alike unless the entry event itself counts (a later
        // step could match the same event, or the breakdown reads it): then one attempt an instant.
        let oneAnInstant = !needsMessage[0] && entryBreakdown == nil
        // With exclusions, the excluded events come from the same pass, grouped by profile: the
        // first at or after an entry is its `x` (OFFSET 0 keeps it computed once per entry, not
        // once per probe).
        let excluded = funnel.excludes.map { "(" + selectorCondition($0.events, $0.filter) + ")" }.joined(separator: " OR ")
        // `x` for an entry at `time`: none for a profile without excluded events, whose subquery
        // is then not run.
        func bound(_ time: String) -> String {
            "CASE WHEN g.xs IS NOT NULL THEN (SELECT min(u) FROM unnest(g.xs) u WHERE u >= \(time)) END AS x"
        }
        func withExcluded(_ columns: [String]) -> Select {
            Select(columns: ["e.profile_id"] + columns + ["array_agg(e.ts) FILTER (WHERE \(excluded)) AS xs"], from: "events e",
                   conditions: ["((\(entryCondition)) OR (\(excluded)))", live], groupBy: ["e.profile_id"], layout: .oneLine)
        }
        if attempts && oneAnInstant {
            if excluded.isEmpty {
                entries = Select(distinct: .rows, columns: ["e.profile_id", "e.ts AS t"], from: "events e", conditions: [entryCondition, live],
                                 layout: .oneLine)
            } else {
                // Not DISTINCT: attempts entered at one instant give equal rows, of which `bestAttempt`
                // keeps one, and a sort per profile cost more than the rare repeated probe.
                let grouped = withExcluded(["array_agg(e.ts) FILTER (WHERE \(entryCondition)) AS ts"])
                entries = Select(columns: ["g.profile_id", "a.t", bound("a.t")],
                                 from: grouped.named("g"), joins: ["CROSS JOIN LATERAL unnest(g.ts) AS a(t)"], offset: 0, layout: .oneLine)
            }
        } else if attempts {
            // An attempt per step-1 event, which carries what a probe would otherwise fetch.
            if excluded.isEmpty {
                entries = Select(columns: ["e.profile_id", "e.ts AS t", "e.message_id AS m"] + (entryBreakdown.map { ["\($0) AS b"] } ?? []),
                                 from: "events e", conditions: [entryCondition, live], layout: .oneLine)
            } else {
                let grouped = withExcluded(["array_agg(e.ts) FILTER (WHERE \(entryCondition)) AS ts",
                                            "array_agg(e.message_id) FILTER (WHERE \(entryCondition)) AS ms"]
                                           + (entryBreakdown.map { ["array_agg(\($0)) FILTER (WHERE \(entryCondition)) AS bs"] } ?? []))
                entries = Select(columns: ["g.profile_id", "a.t", "a.m"] + (entryBreakdown == nil ? [] : ["a.b"])
                                    + [bound("a.t")],
                                 from: grouped.named("g"),
                                 joins: ["CROSS JOIN LATERAL unnest(g.ts, g.ms" + (entryBreakdown == nil ? ") AS a(t, m)" : ", g.bs) AS a(t, m, b)")],
                                 offset: 0, layout: .oneLine)
            }
        } else if excluded.isEmpty {
            entries = Select(columns: ["e.profile_id", "min(e.ts) AS t"], from: "events e", conditions: [entryCondition, live],
                             groupBy: ["e.profile_id"], layout: .oneLine)
        } else {
            let grouped = withExcluded(["min(e.ts) FILTER (WHERE \(entryCondition)) AS t"])
            entries = Select(columns: ["g.profile_id", "g.t", bound("g.t")],
                             from: grouped.named("g"), conditions: ["g.t IS NOT NULL"], offset: 0, layout: .oneLine)
        }
        var joins: [String] = []
        let entryDetail = needsMessage[0] || entryBreakdown != nil
        var entryAlias = "s1"
        if entryDetail && !attempts {
            // The entry event itself, for its message id or breakdown value.
            joins.append(probe(funnel.steps[0].events, funnel.steps[0].filter, bounds: ["e.ts = s1.t"], limits: [],
                               message: needsMessage[0], breakdown: Self.carriesBreakdown(funnel, 0) ? breakdown : nil, alias: "s1e"))
            entryAlias = "s1e"
        }
        func alias(_ index: Int) -> String { index == 0 ? entryAlias : "s\(index + 1)" }
        for index in 1..<k {
            let step = funnel.steps[index]
            let previous = funnel.previousRequired(index) ?? 0
            // The NULL test first: a profile that missed the step before skips the probe.
            var bounds = ["\(alias(previous)).t IS NOT NULL", "e.ts >= \(alias(previous)).t"]
            for earlier in 0..<index where !funnel.steps[earlier].optional && Self.overlap(funnel.steps[earlier].events, step.events) {
                // Never the same event as an earlier step's match: after it in event order.
                bounds.append("(e.ts > \(alias(earlier)).t OR e.message_id COLLATE \"C\" > \(alias(earlier)).m COLLATE \"C\")")
            }
            // A first match past a window, or not before the first excluded event, is no match.
            var limits: [(String) -> String] = []
            if let within = funnel.within {
                let span = bind(.interval(within))
                limits.append { "\($0) <= s1.t + \(span)" }
            }
            if let within = step.within {
                let (span, start) = (bind(.interval(within)), alias(previous))
                limits.append { "\($0) <= \(start).t + \(span)" }
            }
            if !funnel.excludes.isEmpty { limits.append { "(s1.x IS NULL OR \($0) < s1.x)" } }
            joins.append(probe(step.events, step.filter, bounds: bounds, limits: limits, message: needsMessage[index],
                               breakdown: Self.carriesBreakdown(funnel, index) ? breakdown : nil, alias: alias(index)))
        }
        let times = (0..<k).map { "\(alias($0)).t" }
        let result = funnelResult(funnel, from: entries.named("s1"), joins: joins, times: times,
                                  reachedBase: times.map { Self.matched($0, funnel, exclusion: "s1.x") },
                                  entry: "s1.profile_id", liveChecked: true,
                                  attemptColumns: attempts ? ["s1.t AS entry_t"] + (oneAnInstant ? [] : ["s1.m AS entry_m"]) : [],
                                  breakdownColumn: { "\(alias($0)).b" })
        return attempts ? Self.bestAttempt(funnel, result, entry: oneAnInstant ? "f.entry_t" : "f.entry_t, f.entry_m COLLATE \"C\"") : result
    }

    /// `order any`: every step's first match at or after the entry, the first event of any step
    /// (or, when every attempt counts, each such event's time: attempts entered at one instant
    /// match alike, since the rules compare times only).
    mutating func anyOrderFunnel(_ funnel: TypedFunnel, attempts: Bool) -> Select {
        let k = funnel.steps.count
        let breakdown = eventBreakdown(funnel)
        var ctes: [Select.CTE] = []
        var entryWhere = ["(" + funnel.steps.map { "(" + selectorCondition($0.events, $0.filter) + ")" }.joined(separator: " OR ") + ")"]
        if let range = funnel.range { entryWhere += windowCondition("e.ts", range) }
        let entries = attempts
            ? Select(distinct: .rows, columns: ["e.profile_id", "e.ts AS t0"], from: "events e", conditions: entryWhere, layout: .oneLine)
            : Select(columns: ["e.profile_id", "min(e.ts) AS t0"], from: "events e", conditions: entryWhere, groupBy: ["e.profile_id"],
                     layout: .oneLine)
        ctes.append(Select.CTE("s0", entries.printed()))
        let key = attempts ? "s.profile_id, s.t0" : "s.profile_id"
        func joined(_ alias: String) -> String {
            "\(alias).profile_id = s0.profile_id" + (attempts ? " AND \(alias).t0 = s0.t0" : "")
        }
        for (index, step) in funnel.steps.enumerated() {
            var on = ["e.profile_id = s.profile_id", selectorCondition(step.events, step.filter), "e.ts >= s.t0"]
            if let within = funnel.within { on.append("e.ts <= s.t0 + \(bind(.interval(within)))") }
            let match = firstMatch(message: false, breakdown: Self.carriesBreakdown(funnel, index) ? breakdown : nil)
            let first = Select(columns: [key, match], from: "s0 s", joins: ["JOIN events e ON " + on.joined(separator: " AND ")], groupBy: [key],
                               layout: .oneLine)
            ctes.append(Select.CTE("s\(index + 1)", first.printed()))
        }
        var from = "s0"
        for index in 0..<k { from += " LEFT JOIN s\(index + 1) ON " + joined("s\(index + 1)") }
        if let exclusion = exclusion(funnel, entries: "s0", entryTime: "t0", attempts: attempts) {
            ctes.append(Select.CTE("x", exclusion))
            from += " LEFT JOIN x ON " + joined("x")
        }
        let matched = (0..<k).map { Self.matched("s\($0 + 1).t", funnel) }
        // Step j is reached with its own match and every required step's before it; its time
        // is the latest of them.
        var reached: [String] = []
        var times: [String] = []
        for index in 0..<k {
            let needed = (0..<index).filter { !funnel.steps[$0].optional } + [index]
            reached.append("(" + needed.map { matched[$0] }.joined(separator: " AND ") + ")")
            times.append(needed.count == 1 ? "s\(index + 1).t" : "greatest(" + needed.map { "s\($0 + 1).t" }.joined(separator: ", ") + ")")
        }
        // Only profiles whose step 1 matched count (the entry may be another step's event).
        let result = funnelResult(funnel, from: from, times: times, reachedBase: reached, entry: "s0.profile_id", entered: reached[0],
                                  attemptColumns: attempts ? ["s0.t0 AS entry_t"] : [])
        var funnelSelect = attempts ? Self.bestAttempt(funnel, result, entry: "f.entry_t") : result
        funnelSelect.with = ctes
        return funnelSelect
    }

    /// `order strict`: each match is the event right after the previous one in the profile's
    /// event order. When every attempt counts, an attempt is keyed by its entry's number `a`
    /// in that order.
    mutating func strictFunnel(_ funnel: TypedFunnel, attempts: Bool) -> Select {
        let k = funnel.steps.count
        let breakdown = eventBreakdown(funnel)
        var flags: [String] = []
        for (index, step) in funnel.steps.enumerated() { flags.append("(\(selectorCondition(step.events, step.filter))) AS c\(index + 1)") }
        let inRange = funnel.range.map { windowCondition("e.ts", $0).joined(separator: " AND ") } ?? "TRUE"
        flags.append("(\(inRange)) AS in_range")
        if !funnel.excludes.isEmpty {
            flags.append("(" + funnel.excludes.map { "(" + selectorCondition($0.events, $0.filter) + ")" }.joined(separator: " OR ") + ") AS cx")
        }
        if let breakdown { flags.append("\(breakdown) AS b") }
        let entryCondition = selectorCondition(funnel.steps[0].events, funnel.steps[0].filter)
            + (funnel.range.map { " AND " + windowCondition("e.ts", $0).joined(separator: " AND ") } ?? "")
        let entered = Select(columns: ["e.profile_id"], from: "events e", conditions: [entryCondition], layout: .oneLine)
        let numbered = Select(columns: ["e.profile_id", "e.ts", "e.message_id"] + flags
                                + ["row_number() OVER (PARTITION BY e.profile_id ORDER BY \(Self.eventOrder)) AS rn"],
                              from: "events e", conditions: ["e.profile_id IN (\(entered.printed()))"], layout: .oneLine)
        let entryColumns = ["ev.profile_id", "ev.rn", "ev.ts AS t", "ev.ts AS t1"]
        let entries = attempts
            ? Select(columns: entryColumns + ["ev.rn AS a"] + (breakdown == nil ? [] : ["ev.b"]), from: "ev", conditions: ["ev.c1", "ev.in_range"],
                     layout: .oneLine)
            : Select(distinct: .on(["ev.profile_id"]), columns: entryColumns + (breakdown == nil ? [] : ["ev.b"]), from: "ev",
                     conditions: ["ev.c1", "ev.in_range"], orderBy: ["ev.profile_id", "ev.ts", "ev.message_id COLLATE \"C\""], layout: .oneLine)
        var ctes = [Select.CTE("ev", numbered.printed()), Select.CTE("s1", entries.printed())]
        func joined(_ alias: String) -> String {
            "\(alias).profile_id = s1.profile_id" + (attempts ? " AND \(alias).a = s1.a" : "")
        }
        // Each required step after the previous one, through the optional steps between.
        var index = 1
        var previous = 0
        while index < k {
            let next = (index..<k).first { !funnel.steps[$0].optional } ?? k
            var select = ["s.profile_id", "s.t1"] + (attempts ? ["s.a"] : [])
            var joins: [String] = []
            var position = "s.rn"
            let previousTime = "s.t"
            for optional in index..<min(next, k) {
                let alias = "n\(optional + 1)"
                var on = ["\(alias).profile_id = s.profile_id", "\(alias).rn = \(position) + 1", "\(alias).c\(optional + 1)"]
                if let within = funnel.within { on.append("\(alias).ts <= s.t1 + \(bind(.interval(within)))") }
                if let within = funnel.steps[optional].within { on.append("\(alias).ts <= \(previousTime) + \(bind(.interval(within)))") }
                joins.append("LEFT JOIN ev \(alias) ON " + on.joined(separator: " AND "))
                select.append("\(alias).ts AS t\(optional + 1)_o")
                if breakdown != nil { select.append("\(alias).b AS b\(optional + 1)_o") }
                position = "COALESCE(\(alias).rn, \(position))"
            }
            if next < k {
                let alias = "n\(next + 1)"
                var on = ["\(alias).profile_id = s.profile_id", "\(alias).rn = \(position) + 1", "\(alias).c\(next + 1)"]
                if let within = funnel.within { on.append("\(alias).ts <= s.t1 + \(bind(.interval(within)))") }
                if let within = funnel.steps[next].within { on.append("\(alias).ts <= \(previousTime) + \(bind(.interval(within)))") }
                joins.append("LEFT JOIN ev \(alias) ON " + on.joined(separator: " AND "))
                select += ["\(alias).rn", "\(alias).ts AS t"]
                if breakdown != nil { select.append("\(alias).b") }
            }
            ctes.append(Select.CTE("g\(next + 1)", Select(columns: select, from: "s\(previous + 1) s", joins: joins, layout: .oneLine).printed()))
            if next < k {
                ctes.append(Select.CTE("s\(next + 1)", Select(columns: ["*"], from: "g\(next + 1)", conditions: ["t IS NOT NULL"], layout: .oneLine).printed()))
            }
            for optional in index..<min(next, k) {
                let columns = ["profile_id"] + (attempts ? ["a"] : []) + ["t\(optional + 1)_o AS t"] + (breakdown == nil ? [] : ["b\(optional + 1)_o AS b"])
                ctes.append(Select.CTE("s\(optional + 1)", Select(columns: columns, from: "g\(next + 1)", conditions: ["t\(optional + 1)_o IS NOT NULL"],
                                                         layout: .oneLine).printed()))
            }
            previous = next
            index = next + 1
        }
        var from = "s1"
        for step in 1..<k { from += " LEFT JOIN s\(step + 1) ON " + joined("s\(step + 1)") }
        if !funnel.excludes.isEmpty {
            let key = attempts ? ["s.profile_id", "s.a"] : ["s.profile_id"]
            let on = "ev.profile_id = s.profile_id AND ev.cx AND ev.ts >= s.t1" + (funnel.within.map { " AND ev.ts <= s.t1 + \(bind(.interval($0)))" } ?? "")
            ctes.append(Select.CTE("x", Select(columns: key + ["min(ev.ts) AS x"], from: "s1 s", joins: ["JOIN ev ON " + on], groupBy: key,
                                     layout: .oneLine).printed()))
            from += " LEFT JOIN x ON " + joined("x")
        }
        let times = (0..<k).map { "s\($0 + 1).t" }
        let result = funnelResult(funnel, from: from, times: times, reachedBase: times.map { Self.matched($0, funnel) }, entry: "s1.profile_id",
                                  attemptColumns: attempts ? ["s1.a AS entry_rn"] : [])
        var funnelSelect = attempts ? Self.bestAttempt(funnel, result, entry: "f.entry_rn") : result
        funnelSelect.with = ctes
        return funnelSelect
    }
}
