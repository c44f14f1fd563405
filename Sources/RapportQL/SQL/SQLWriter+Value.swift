import Foundation

/// Customer-value fields and lifecycle stages in a profile question (Grammar/README.md,
/// "Customer value"). The per-profile sums are columns of the level's events pass like any
/// event aggregate; `tier` and `rfm` rank every live profile, so they come from a ranking
/// subquery `vr` joined by profile.
extension SQLWriter {
    /// The value of a revenue (or cost) event, and which events those are; nil without flows.
    mutating func flowValue(_ flows: [ValueSettings.Flow]) -> (value: String, condition: String)? {
        guard !flows.isEmpty else { return nil }
        var events: [String] = []
        var properties: [String: [String]] = [:]
        for flow in flows {
            if properties[flow.event] == nil { events.append(flow.event) }
            properties[flow.event, default: []].append(flow.property)
        }
        var perEvent: [(name: String, value: String)] = []
        for event in events {
            let numbers = properties[event, default: []].map { typedJSON("e.props", key: bind(.text($0)), type: .number) }
            let value = numbers.count == 1 ? numbers[0]
                : "(CASE WHEN " + numbers.map { "\($0) IS NULL" }.joined(separator: " AND ") + " THEN NULL ELSE "
                    + numbers.map { "COALESCE(\($0), 0)" }.joined(separator: " + ") + " END)"
            perEvent.append((bind(.text(event)), value))
        }
        let condition = perEvent.count == 1 ? "e.type = 'track' AND e.name = \(perEvent[0].name)"
            : "e.type = 'track' AND e.name IN (" + perEvent.map(\.name).joined(separator: ", ") + ")"
        let value = perEvent.count == 1 ? perEvent[0].value
            : "(CASE e.name " + perEvent.map { "WHEN \($0.name) THEN \($0.value)" }.joined(separator: " ") + " END)"
        return (value, condition)
    }

    /// A value field of the profile `p` (in a profile level).
    mutating func valueField(_ field: ValueField, _ settings: ValueSettings) -> SQLText {
        switch field {
        // The summaries hold each event's revenue and cost as these settings define them
        // when `held`: sums of sums, counts of counts, the least of the firsts.
        case .revenue, .monetary:
            guard let (value, condition) = flowValue(settings.revenue) else { return "0::numeric" }
            let sum = AggregateSQL(filtered: "sum(\(value)) FILTER (WHERE \(condition))", plain: "sum(\(value))")
            let held = held(settings, AggregateSQL(filtered: "sum(e.revenue) FILTER (WHERE \(condition))", plain: "sum(e.revenue)"))
            return "COALESCE(\(registerRaw(sum, condition: EventFilter(conjuncts: [condition]), namesEvents: true, summary: held, perProfile: "v.revenue")), 0)"
        case .cost:
            guard let (value, condition) = flowValue(settings.cost) else { return "0::numeric" }
            let sum = AggregateSQL(filtered: "sum(\(value)) FILTER (WHERE \(condition))", plain: "sum(\(value))")
            let held = held(settings, AggregateSQL(filtered: "sum(e.cost) FILTER (WHERE \(condition))", plain: "sum(e.cost)"))
            return "COALESCE(\(registerRaw(sum, condition: EventFilter(conjuncts: [condition]), namesEvents: true, summary: held, perProfile: "v.cost")), 0)"
        case .orders, .frequency:
            guard let (value, condition) = flowValue(settings.revenue) else { return "0::bigint" }
            let count = AggregateSQL(sameEitherWay: "count(*) FILTER (WHERE \(condition) AND \(value) > 0)")
            let held = held(settings, AggregateSQL(filtered: "(sum(e.orders) FILTER (WHERE \(condition)))::bigint", plain: "(sum(e.orders))::bigint"))
            return "COALESCE(\(registerRaw(count, condition: EventFilter(conjuncts: [condition]), namesEvents: true, summary: held, perProfile: "v.orders")), 0)"
        case .firstOrder, .lastOrder:
            guard let (value, condition) = flowValue(settings.revenue) else { return "NULL::timestamptz" }
            let function = field == .firstOrder ? "min" : "max"
            let held = held(settings, AggregateSQL(filtered: "\(function)(e.\(field.rawValue)) FILTER (WHERE \(condition))",
                                                   plain: "\(function)(e.\(field.rawValue))"))
            return registerRaw(AggregateSQL(sameEitherWay: "\(function)(e.ts) FILTER (WHERE \(condition) AND \(value) > 0)"),
                               condition: EventFilter(conjuncts: [condition]), namesEvents: true, summary: held, perProfile: "v.\(field.rawValue)")
        case .recency:
            return "(\(bind(.now)) - \(valueField(.lastOrder, settings)))"
        case .clv:
            if Decimal(string: settings.discount) == 0 {
                return "(\(valueField(.revenue, settings)) - \(valueField(.cost, settings)))"
            }
            // Each cash flow discounted to today: (1 + d) ^ -(|now - ts| in years of 365.25 days).
            let factor = "power(1 + \(bind(.numeric(settings.discount)))::float8, -(abs(extract(epoch FROM \(bind(.now)) - e.ts))::float8 / 31557600))"
            var terms: [SQLText] = []
            for (flows, sign) in [(settings.revenue, ""), (settings.cost, "- ")] {
                guard let (value, condition) = flowValue(flows) else { continue }
                let sum = AggregateSQL(filtered: "sum((\(value))::float8 * \(factor)) FILTER (WHERE \(condition))",
                                       plain: "sum((\(value))::float8 * \(factor))")
                let column = registerRaw(sum, condition: EventFilter(conjuncts: [condition]), namesEvents: true)
                terms.append("\(sign)COALESCE(\(column), 0)")
            }
            guard !terms.isEmpty else { return "0::numeric" }
            return "round((\(terms.joined(separator: " ")))::numeric, 2)"
        case .tier, .rfm:
            return SQLText(.ranked(field, settings))
        }
    }

    /// `summary`, if the summaries hold the value flows of `settings`.
    func held(_ settings: ValueSettings, _ summary: AggregateSQL) -> AggregateSQL? {
        summaries?.holds(settings) == true ? summary : nil
    }

    /// `stage`: the highest stage whose rule holds.
    mutating func stage(_ rules: [(LifecycleStage, TypedExpr)], _ context: Context) -> SQLText {
        let cases = rules.map { "WHEN \(stageCondition($0.1, context)) THEN \(bind(.text($0.0.rawValue)))" as SQLText }
        return "(CASE \(cases.joined(separator: " ")) END)"
    }

    /// A stage rule as a CASE condition. `did` of every event (reach's default, `did any`) is
    /// a probe of the profile's events: as a column of a pass over the events or their
    /// summaries it would make the pass read every event of every profile, where the other
    /// rules need a few named ones. (With the summaries ready it is a column: the profiles' own
    /// summary rows hold it, one row per profile.)
    mutating func stageCondition(_ rule: TypedExpr, _ context: Context) -> SQLText {
        guard context == .profile, summaries == nil else { return truth(rule, context) }
        switch rule.kind {
        case .binary(.and, let left, let right): return "(\(stageCondition(left, context)) AND \(stageCondition(right, context)))"
        case .binary(.or, let left, let right): return "(\(stageCondition(left, context)) OR \(stageCondition(right, context)))"
        case .binary(.greater, let counted, let zero) where Self.isDid(counted, zero):
            if case .eventAggregate(let aggregate) = counted.kind, aggregate.events == .any, aggregate.filter == nil {
                return "\(exists(counted))"
            }
        default: break
        }
        return truth(rule, context)
    }

    /// The ranking for the fields in `ranked` (column `profile_id` and one per field): `tier`
    /// by clv (a sort of every live profile), `rfm` from four thresholds per measure among the
    /// customers (`rfmThresholds`; rfm alone reads only the customers). A row per live
    /// profile, or with rfm alone per customer unless `everyLiveProfile` (then the others are
    /// as many rows with nulls, their number counted rather than read).
    mutating func rankingRows(_ settings: ValueSettings, ranked: Set<ValueField>, everyLiveProfile: Bool) -> String {
        func value(_ field: ValueField) -> TypedExpr { TypedExpr(.value(field, settings), field.type) }
        if !ranked.contains(.tier) {
            // rfm alone scores only the customers: every customer has a revenue value, so is a
            // row of the flows' profiles (columns c2 orders, c3 last order, c4 revenue), and the
            // others' rfm is null.
            let rows = flowRows([value(.orders), value(.lastOrder), value(.revenue)])
            let others = everyLiveProfile
                ? " UNION ALL SELECT NULL, NULL FROM generate_series(1, \(Self.liveProfileCount) - (SELECT n FROM rfm_k))" : ""
            return "WITH rfm_c AS MATERIALIZED (SELECT v.c1, v.c2, v.c3, v.c4 FROM (\(rows)) v WHERE v.c2 > 0), \(Self.rfmThresholds) "
                + "SELECT v.c1 AS profile_id, \(Self.rfmScore(recency: "v.c3", frequency: "v.c2", monetary: "v.c4")) AS rfm "
                + "FROM rfm_c v, rfm_t t" + others
        }
        // Columns c2 clv, c3 orders, c4 last order, c5 revenue.
        let rows = profileRows([value(.clv), value(.orders), value(.lastOrder), value(.revenue)])
        let names = ValueSettings.tierNames.map { bind(.text($0)) }.joined(separator: ", ")
        let tier = "(ARRAY[\(names)])[\(tierIndex(settings, alias: "v")) + 1] AS tier"
        let ranking = "SELECT q.*, row_number() OVER (ORDER BY q.c2 DESC, q.c1) AS rn, count(*) OVER () AS n FROM"
        guard ranked.contains(.rfm) else {
            return "SELECT v.c1 AS profile_id, \(tier) FROM (\(ranking) \(rows.named("q"))) v"
        }
        // With rfm, the customers are those of the profiles' rows with orders.
        let score = Self.rfmScore(recency: "v.c4", frequency: "v.c3", monetary: "v.c5")
        return "WITH q AS MATERIALIZED (\(rows)), rfm_c AS MATERIALIZED (SELECT q.c1, q.c3 AS c2, q.c4 AS c3, q.c5 AS c4 FROM q WHERE q.c3 > 0), "
            + "\(Self.rfmThresholds) SELECT v.c1 AS profile_id, \(tier), CASE WHEN v.c3 > 0 THEN \(score) END AS rfm "
            + "FROM (\(ranking) q) v, rfm_t t"
    }

    /// CTEs `rfm_k` (`n` the customers, `p` the fractions) and `rfm_t` (`r1`…`r4`, `f1`…,
    /// `m1`…: each measure's four thresholds, taken out of their arrays once, in a row of its
    /// own, rather than for every customer scored) over the customers `rfm_c` (columns c2
    /// orders, c3 last order, c4 revenue). A score needs no ranking: with s the customers below
    /// x, 1 + floor(5 s / n) is 1 + the number of k in 1…4 with 5 s ≥ k n, that is s ≥ m =
    /// ⌈k n / 5⌉, which holds exactly when the m-th smallest value is below x. So each measure
    /// needs four values, its m-th smallest (percentile_disc at (m − ½) / n: a fraction whose
    /// position, ⌈fraction × n⌉, is m whatever the rounding), not a sort with a window.
    static let rfmThresholds: String = {
        let fractions = (1...4).map { "(((\($0) * k.n + 4) / 5)::float8 - 0.5) / nullif(k.n, 0)" }.joined(separator: ", ")
        let measures = [("r", "v.c3"), ("f", "v.c2"), ("m", "v.c4")]
        let thresholds = measures.map { "percentile_disc((SELECT p FROM rfm_k)) WITHIN GROUP (ORDER BY \($1)) AS \($0)" }
        let each = measures.flatMap { name, _ in (1...4).map { "a.\(name)[\($0)] AS \(name)\($0)" } }
        return "rfm_k AS (SELECT k.n, ARRAY[\(fractions)] AS p FROM (SELECT count(*) AS n FROM rfm_c) k), "
            + "rfm_t AS MATERIALIZED (SELECT \(each.joined(separator: ", ")) FROM (SELECT \(thresholds.joined(separator: ", ")) FROM rfm_c v) a)"
    }()

    /// A customer's rfm from `rfm_t t`, given the columns of its three measures.
    static func rfmScore(recency: String, frequency: String, monetary: String) -> String {
        let scores = [("r", recency), ("f", frequency), ("m", monetary)].map { name, column in
            (1...4).map { "(\(column) > t.\(name)\($0))::int" }.joined(separator: " + ")
        }
        return "(111 + 100 * (\(scores[0])) + 10 * (\(scores[1])) + \(scores[2]))::text"
    }

    /// Each live profile's stage (`c1` its id, `c2` the stage), for reports that count the
    /// profiles with a stage. When every rule fails without events and the pass reads the
    /// profiles' own summary rows (one per live profile with events), the rows are the pass's
    /// alone: a profile without events has no stage, so the profiles need not be read.
    mutating func stagedProfiles(_ stage: TypedExpr) -> Select {
        if case .stage(let rules) = stage.kind, rules.allSatisfy({ Self.passOnly($0.1) && Self.needsPassRow($0.1) }) {
            let saved = (binds, bindIndex)
            let fromPass: Select? = nested { writer in
                let value = writer.expr(stage, .profile)
                guard writer.readsProfileSummaries(lateral: false) else { return nil }
                return Select(columns: ["ea.profile_id AS c1", "\(writer.printed(value, .pass)) AS c2"],
                              from: "(\(writer.eventsPass(lateral: false))) ea", layout: .oneLine)
            }
            if let fromPass { return fromPass }
            (binds, bindIndex) = saved
        }
        return profileRows([stage])
    }

    /// `body` with a level's aggregates of its own (a subquery written inside another level).
    mutating func nested<T>(_ body: (inout SQLWriter) -> T) -> T {
        let outer = aggregates
        defer { aggregates = outer }
        aggregates = []
        return body(&self)
    }

    /// A subquery of every live profile with columns `c1` (its id) and `c2…` (the
    /// expressions, in a profile's context), written as a level of its own.
    mutating func profileRows(_ columns: [TypedExpr]) -> Select {
        var level = Level()
        level.columns = ([TypedExpr(.profileColumn(.id), .number)] + columns).enumerated().map { Column(name: "c\($0.offset + 1)", expr: $0.element) }
        return nested { $0.level(level, from: nil, inherited: [], final: false, rowLimit: nil, first: true).select }
    }

    /// Each live profile that has events of the value settings' flows (revenue or cost), with
    /// columns `c1` (its id) and `c2…` (value fields, which depend on those events alone), from
    /// one pass over those events; a live profile without any is not a row. From the profiles'
    /// summary rows, those with a revenue or cost value: the others' value fields are those of a
    /// profile without such events (clv 0, no orders), so a reader tells them apart from no row
    /// no more than it does a profile whose flow events have no value. (Those rows are of live
    /// profiles alone: a merged profile's summaries moved to the profile it is merged into.)
    mutating func flowRows(_ columns: [TypedExpr]) -> String {
        nested { writer in
            let values = columns.map { writer.expr($0, .profile) }
            guard !writer.aggregates.isEmpty else {
                return "SELECT NULL::bigint AS c1, " + columns.enumerated().map { "NULL::\(Self.sqlType($0.element.type)) AS c\($0.offset + 2)" }
                    .joined(separator: ", ") + " WHERE FALSE"
            }
            let placement = Placement.pass
            let select = "SELECT ea.profile_id AS c1, " + values.enumerated().map { "\(writer.printed($0.element, placement)) AS c\($0.offset + 2)" }
                .joined(separator: ", ")
            if writer.readsProfileSummaries(lateral: false) {
                return select + " FROM (\(writer.eventsPass(lateral: false, ownRowsWhere: "v.revenue IS NOT NULL OR v.cost IS NOT NULL"))) ea"
            }
            return select + " FROM (\(writer.eventsPass(lateral: false))) ea WHERE \(Self.live("ea.profile_id"))"
        }
    }

    /// Adds `sql`, an aggregate over the events `condition` selects (`namesEvents`: events of
    /// some names or types), to the level's aggregates (once); returns its hole, which the
    /// level's plan fills with a column of its events pass or the aggregate written in place.
    /// `summary` is the same aggregate over `event_summaries`, where the summaries answer it
    /// exactly (nil: only the events do), and `perProfile` the column of `profile_summaries v`
    /// that holds it, where the summaries answer it and it is a sum over all of a profile's.
    mutating func registerRaw(_ sql: AggregateSQL, condition: EventFilter?, namesEvents: Bool, summary: AggregateSQL? = nil,
                              perProfile: String? = nil) -> SQLText {
        if let existing = aggregates.firstIndex(where: { $0.sql == sql }) { return SQLText(.aggregate(existing)) }
        aggregates.append(PassAggregate(sql: sql, column: "a\(aggregates.count + 1)", summary: summary,
                                        perProfile: summary == nil ? nil : perProfile, condition: condition,
                                        namesEvents: namesEvents))
        return SQLText(.aggregate(aggregates.count - 1))
    }
}
