import Foundation

/// Reports (Grammar/README.md, "Reports"): each one statement whose columns are text, as a
/// query's final columns are.
extension SQLCompiler {
    public static func compile(_ report: TypedReport) -> CompiledQuery {
        var writer = SQLWriter(source: .profiles)
        let sql: String
        switch report {
        case .funnel(let funnel): sql = writer.funnelReport(funnel)
        case .tiers(let settings): sql = writer.tiersReport(settings)
        case .pareto(let top, let settings): sql = writer.paretoReport(top: top, settings)
        case .lifecycle(let by, let stage): sql = writer.lifecycleReport(by: by, stage: stage)
        case .retention(let period, let since, let settings): sql = writer.retentionReport(period: period, since: since, settings)
        case .valueChain(let settings, let stage): sql = writer.valueChainReport(settings, stage: stage)
        case .settings(let rows): sql = writer.settingsReport(rows)
        }
        return CompiledQuery(sql: sql, binds: writer.binds, columns: report.columns)
    }
}

extension SQLWriter {
    static func text(_ sql: String) -> String { "(\(sql))::text" }
    static func seconds(_ sql: String) -> String { "extract(epoch FROM (\(sql)))::text" }

    mutating func funnelReport(_ funnel: TypedFunnel) -> String {
        let k = funnel.steps.count
        let relation = funnelProfiles(funnel)
        var aggregates: [String] = []
        for index in 0..<k {
            aggregates.append("count(*) FILTER (WHERE f.r\(index + 1)) AS n\(index + 1)")
            if index > 0 {
                // Median and p90 from one sort of the step's times.
                aggregates.append("percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY f.d\(index + 1)) FILTER (WHERE f.r\(index + 1)) AS q\(index + 1)")
            }
        }
        let grouped = funnel.breakdown != nil
        var rows: [String] = []
        for (index, step) in funnel.steps.enumerated() {
            let n = "g.n\(index + 1)"
            let previous = funnel.previousRequired(index).map { "\(n)::numeric / NULLIF(g.n\($0 + 1), 0)" } ?? "NULL::numeric"
            let median = index == 0 ? "NULL::interval" : "g.q\(index + 1)[1]"
            let p90 = index == 0 ? "NULL::interval" : "g.q\(index + 1)[2]"
            rows.append("(\(index + 1), \(bind(.text(step.label))), \(step.optional ? "TRUE" : "FALSE"), \(n), \(previous), "
                        + "\(n)::numeric / NULLIF(g.n1, 0), \(median), \(p90))")
        }
        var columns: [String] = []
        if let breakdown = funnel.breakdown { columns.append(output("g.b", type: breakdown.type) + " AS c0") }
        columns += ["v.step::text", "v.event", "v.optional::text", "v.profiles::text", "v.from_previous::text", "v.from_first::text",
                    Self.seconds("v.median_time"), Self.seconds("v.p90_time")]
        var sql = "SELECT " + columns.joined(separator: ", ")
        sql += "\nFROM (SELECT \(grouped ? "f.b, " : "")" + aggregates.joined(separator: ", ") + " FROM (\(relation)) f"
        sql += grouped ? " GROUP BY f.b) g" : ") g"
        sql += "\nCROSS JOIN LATERAL (VALUES " + rows.joined(separator: ", ")
            + ") v(step, event, optional, profiles, from_previous, from_first, median_time, p90_time)"
        sql += "\nORDER BY " + (grouped ? orderTerm("g.b", type: funnel.breakdown!.type) + " NULLS LAST, " : "") + "v.step"
        return sql
    }

    /// Every live profile's clv, its rank (by clv descending, then id) and the count.
    mutating func rankedValue(_ settings: ValueSettings, extra: [TypedExpr] = []) -> String {
        let rows = profileRows([TypedExpr(.value(.clv, settings), .number)] + extra)
        return "SELECT q.*, row_number() OVER (ORDER BY q.c2 DESC, q.c1) AS rn, count(*) OVER () AS n FROM (\(rows)) q"
    }

    /// The tier index (0 platinum … 4 lead) of a ranked row (`rn`, `n`) named `alias`.
    mutating func tierIndex(_ settings: ValueSettings, alias: String = "r") -> String {
        var cumulative = Decimal(0)
        var cases: [String] = []
        for (index, share) in settings.tiers.enumerated() {
            cumulative += Decimal(string: share) ?? 0
            cases.append("WHEN \(alias).rn - 1 < \(bind(.numeric("\(cumulative)"))) * \(alias).n THEN \(index)")
        }
        return "CASE " + cases.joined(separator: " ") + " ELSE 4 END"
    }

    func tierNames() -> String {
        "(VALUES " + ValueSettings.tierNames.enumerated().map { "(\($0.offset), '\($0.element)')" }.joined(separator: ", ") + ") tn(i, name)"
    }

    mutating func tiersReport(_ settings: ValueSettings) -> String {
        let ranked = rankedValue(settings)
        let tier = tierIndex(settings)
        return """
            WITH r AS (\(ranked)),
            t AS (SELECT \(tier) AS i, r.c2 AS clv FROM r r),
            a AS (SELECT count(*) AS n, COALESCE(sum(r.c2), 0) AS total FROM r)
            SELECT tn.name, count(t.clv)::text, (count(t.clv)::numeric / NULLIF(min(a.n), 0))::text, COALESCE(sum(t.clv), 0)::text,
                   (COALESCE(sum(t.clv), 0) / NULLIF(min(a.total), 0))::text, min(t.clv)::text, max(t.clv)::text
            FROM \(tierNames()) CROSS JOIN a LEFT JOIN t ON t.i = tn.i
            GROUP BY tn.i, tn.name
            ORDER BY tn.i
            """
    }

    mutating func paretoReport(top: String, _ settings: ValueSettings) -> String {
        let ranked = rankedValue(settings)
        let share = bind(.numeric(top))
        return """
            WITH r AS (\(ranked))
            SELECT \(share)::text, k::text, value::text, total::text, (value / NULLIF(total, 0))::text
            FROM (SELECT ceil(\(share) * count(*))::bigint AS k,
                         COALESCE(sum(r.c2) FILTER (WHERE r.rn <= ceil(\(share) * r.n)), 0) AS value,
                         COALESCE(sum(r.c2), 0) AS total
                  FROM r) s
            """
    }

    /// The stage index (1 reach … 5 inspire) of a stage name column.
    mutating func stageIndex(_ column: String) -> String {
        "CASE \(column) " + LifecycleStage.allCases.enumerated().map { "WHEN \(bind(.text($0.element.rawValue))) THEN \($0.offset + 1)" }
            .joined(separator: " ") + " END"
    }

    /// Per stage: profiles at it, reached (at it or higher), conversion to the next; from
    /// rows `q` with the stage index `si` (and breakdown `b`).
    mutating func stageRows(_ source: String, grouped: Bool) -> (aggregates: String, values: String) {
        var aggregates: [String] = []
        var values: [String] = []
        for (index, stage) in LifecycleStage.allCases.enumerated() {
            let i = index + 1
            aggregates.append("count(*) FILTER (WHERE \(source).si = \(i)) AS p\(i), count(*) FILTER (WHERE \(source).si >= \(i)) AS r\(i)")
            let conversion = i == 5 ? "NULL::numeric" : "g.r\(i + 1)::numeric / NULLIF(g.r\(i), 0)"
            values.append("(\(i), \(bind(.text(stage.rawValue))), g.p\(i), g.r\(i), \(conversion))")
        }
        return (aggregates.joined(separator: ", "), values.joined(separator: ", "))
    }

    mutating func lifecycleReport(by: TypedExpr?, stage: TypedExpr) -> String {
        let rows = profileRows([stage] + (by.map { [$0] } ?? []))
        let index = stageIndex("q.c2")
        let (aggregates, values) = stageRows("s", grouped: by != nil)
        var columns: [String] = []
        if let by { columns.append(output("g.b", type: by.type)) }
        columns += ["v.stage", "v.profiles::text", "v.reached::text", "v.conversion::text"]
        var sql = "WITH s AS (SELECT \(by == nil ? "" : "q.c3 AS b, ")\(index) AS si FROM (\(rows)) q WHERE q.c2 IS NOT NULL)\n"
        sql += "SELECT " + columns.joined(separator: ", ")
        sql += "\nFROM (SELECT \(by == nil ? "" : "s.b, ")\(aggregates) FROM s\(by == nil ? "" : " GROUP BY s.b")) g"
        sql += "\nCROSS JOIN LATERAL (VALUES \(values)) v(i, stage, profiles, reached, conversion)"
        sql += "\nORDER BY " + (by.map { orderTerm("g.b", type: $0.type) + " NULLS LAST, " } ?? "") + "v.i"
        return sql
    }

    /// Each live profile's orders (revenue events with a value above 0): profile and time.
    mutating func ordersRelation(_ settings: ValueSettings) -> String {
        guard let (value, condition) = flowValue(settings.revenue) else {
            return "SELECT NULL::bigint AS profile_id, NULL::timestamptz AS ts WHERE FALSE"
        }
        return "SELECT e.profile_id, e.ts FROM events e WHERE \(condition) AND \(value) > 0"
            + " AND NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = e.profile_id AND m.merged_into IS NOT NULL)"
    }

    mutating func retentionReport(period: String, since: TypedExpr?, _ settings: ValueSettings) -> String {
        let unit = period == "week" ? "week" : "month"
        let orders = ordersRelation(settings)
        let now = bind(.now)
        let sinceFilter = since.map { " HAVING min(o.ts) >= \(expr($0, .event))" } ?? ""
        return """
            WITH o AS (\(orders)),
            op AS (SELECT DISTINCT o.profile_id, date_trunc('\(unit)', o.ts) AS period FROM o),
            c AS (SELECT o.profile_id, date_trunc('\(unit)', min(o.ts)) AS cohort FROM o GROUP BY o.profile_id\(sinceFilter)),
            sizes AS (SELECT c.cohort, count(*) AS customers FROM c GROUP BY c.cohort),
            act AS (SELECT c.cohort, op.period, count(*) AS active FROM c JOIN op ON op.profile_id = c.profile_id GROUP BY c.cohort, op.period)
            SELECT extract(epoch FROM s.cohort)::text, (gs.n - 1)::text, s.customers::text, COALESCE(a.active, 0)::text,
                   (COALESCE(a.active, 0)::numeric / s.customers)::text
            FROM sizes s
            CROSS JOIN LATERAL generate_series(s.cohort, date_trunc('\(unit)', \(now)), interval '1 \(unit)') WITH ORDINALITY AS gs(period, n)
            LEFT JOIN act a ON a.cohort = s.cohort AND a.period = gs.period
            ORDER BY s.cohort, gs.n
            """
    }

    mutating func valueChainReport(_ settings: ValueSettings, stage: TypedExpr) -> String {
        let orders = TypedExpr(.value(.orders, settings), .number)
        let ranked = rankedValue(settings, extra: [orders, stage])
        let tier = tierIndex(settings)
        let stageIndex = stageIndex("r.c4")
        let (stageAggregates, stageValues) = stageRows("r", grouped: false)
        let live = "NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = %.profile_id AND m.merged_into IS NOT NULL)"
        func liveOf(_ alias: String) -> String { live.replacingOccurrences(of: "%", with: alias) }
        let campaign = "COALESCE(\(typedJSON("e.props", key: bind(.text("campaign")), type: .text)), "
            + "CASE WHEN jsonb_typeof(e.context -> 'campaign' -> 'name') = 'string' THEN e.context -> 'campaign' ->> 'name' END)"
        let revenue = flowValue(settings.revenue)
        let revenueValue = revenue.map { "CASE WHEN \($0.condition) THEN \($0.value) END" } ?? "NULL::numeric"
        let top = bind(.numeric("0.2"))
        let names = ["portfolio", "intimacy", "network", "value proposition", "lifecycle"].map { bind(.text($0)) }
        func m(_ text: String) -> String { bind(.text(text)) }
        // Each part: (stage order, measure order, key order, key, stage, measure, value); rows
        // go by stage, then key (its order, else code point order, nulls last), then measure.
        let parts: [String] = [
            // Portfolio.
            """
            SELECT 1 AS o1, x.o2, 0 AS o3, NULL::text AS key, \(names[0]) AS stage, x.measure, x.value
            FROM a CROSS JOIN LATERAL (VALUES (1, \(m("profiles")), a.n::numeric), (2, \(m("customers")), a.customers::numeric),
                (3, \(m("clv_total")), a.total), (4, \(m("clv_mean")), a.total / NULLIF(a.n, 0)),
                (5, \(m("top20_share")), a.top / NULLIF(a.total, 0))) x(o2, measure, value)
            """,
            """
            SELECT 1, 1 + x.o, 1 + tn.i, tn.name, \(names[0]), x.measure, x.value
            FROM \(tierNames()) LEFT JOIN (SELECT t.i, count(*) AS n, sum(t.clv) AS value FROM t GROUP BY t.i) tv ON tv.i = tn.i
            CROSS JOIN LATERAL (VALUES (0, \(m("tier_profiles")), COALESCE(tv.n, 0)::numeric), (1, \(m("tier_value")), COALESCE(tv.value, 0))) x(o, measure, value)
            """,
            // Intimacy.
            """
            SELECT 2, x.o2, 0, NULL::text, \(names[1]), x.measure, x.value
            FROM a CROSS JOIN LATERAL (VALUES
                (1, \(m("identifiers_per_profile")), (SELECT count(*) FROM identities i WHERE \(liveOf("i")))::numeric / NULLIF(a.n, 0)),
                (2, \(m("traits_per_profile")), (SELECT COALESCE(sum((SELECT count(*) FROM jsonb_object_keys(CASE WHEN jsonb_typeof(p.traits) = 'object' THEN p.traits ELSE '{}' END))), 0)
                                        FROM profiles p WHERE p.merged_into IS NULL)::numeric / NULLIF(a.n, 0)),
                (3, \(m("sources_per_profile")), (SELECT count(*) FROM (SELECT DISTINCT e.profile_id, e.source FROM events e
                                        WHERE e.source IS NOT NULL AND \(liveOf("e"))) d)::numeric / NULLIF(a.n, 0))) x(o2, measure, value)
            """,
            // Network: by the source of each profile's first event.
            """
            SELECT 3, x.o2, 0, nw.source, \(names[2]), x.measure, x.value
            FROM (SELECT acq.source, count(*) AS n, count(*) FILTER (WHERE r.c3 > 0) AS customers, sum(r.c2) AS value
                  FROM r LEFT JOIN (SELECT DISTINCT ON (e.profile_id) e.profile_id, e.source FROM events e
                                    ORDER BY e.profile_id, \(Self.eventOrder)) acq ON acq.profile_id = r.c1
                  GROUP BY acq.source) nw
            CROSS JOIN LATERAL (VALUES (1, \(m("profiles")), nw.n::numeric), (2, \(m("customers")), nw.customers::numeric),
                (3, \(m("value")), nw.value)) x(o2, measure, value)
            """,
            // Value proposition: events carrying a campaign.
            """
            SELECT 4, x.o2, 0, vp.campaign, \(names[3]), x.measure, x.value
            FROM (SELECT c.campaign, count(DISTINCT c.profile_id) AS profiles, count(*) AS events,
                         count(*) FILTER (WHERE c.value > 0) AS orders, COALESCE(sum(c.value), 0) AS revenue
                  FROM (SELECT e.profile_id, \(campaign) AS campaign, \(revenueValue) AS value FROM events e WHERE \(liveOf("e"))) c
                  WHERE c.campaign IS NOT NULL GROUP BY c.campaign) vp
            CROSS JOIN LATERAL (VALUES (1, \(m("profiles")), vp.profiles::numeric), (2, \(m("events")), vp.events::numeric),
                (3, \(m("orders")), vp.orders::numeric), (4, \(m("revenue")), vp.revenue)) x(o2, measure, value)
            """,
            // Lifecycle.
            """
            SELECT 5, x.o2, v.i, v.stage, \(names[4]), x.measure, x.value
            FROM (SELECT \(stageAggregates) FROM (SELECT \(stageIndex) AS si FROM r WHERE r.c4 IS NOT NULL) r) g
            CROSS JOIN LATERAL (VALUES \(stageValues)) v(i, stage, profiles, reached, conversion)
            CROSS JOIN LATERAL (VALUES (1, \(m("profiles")), v.profiles::numeric), (2, \(m("conversion")), v.conversion)) x(o2, measure, value)
            """,
        ]
        return """
            WITH r AS (\(ranked)),
            t AS (SELECT \(tier) AS i, r.c2 AS clv FROM r r),
            a AS (SELECT count(*) AS n, count(*) FILTER (WHERE r.c3 > 0) AS customers, COALESCE(sum(r.c2), 0) AS total,
                         COALESCE(sum(r.c2) FILTER (WHERE r.rn <= ceil(\(top) * r.n)), 0) AS top FROM r)
            SELECT u.stage, u.measure, u.key, u.value::text FROM (
            \(parts.joined(separator: "\nUNION ALL\n"))
            ) u(o1, o2, o3, key, stage, measure, value)
            ORDER BY u.o1, u.o3, u.key COLLATE "C" NULLS LAST, u.o2
            """
    }

    mutating func settingsReport(_ rows: [(setting: String, value: String, isDefault: Bool)]) -> String {
        let values = rows.map { "(\(bind(.text($0.setting))), \(bind(.text($0.value))), \($0.isDefault ? "TRUE" : "FALSE"))" }
        return "SELECT s.setting, s.value, s.is_default::text FROM (VALUES " + values.joined(separator: ", ")
            + ") s(setting, value, is_default)"
    }
}
