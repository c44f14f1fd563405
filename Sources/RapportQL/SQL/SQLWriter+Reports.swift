import Foundation

/// Reports (Grammar/README.md, "Reports"): each one statement whose columns are text, as a
/// query's final columns are.
extension SQLCompiler {
    /// A report's SQL; with `rowLimit`, PostgreSQL stops after that many rows (the report's
    /// final `SELECT` orders its rows, so the first ones are kept).
    public static func compile(_ report: TypedReport, rowLimit: Int? = nil, summaries: SummaryAvailability? = nil) -> CompiledQuery {
        var writer = SQLWriter(source: .profiles, summaries: summaries)
        var select: Select
        switch report {
        case .funnel(let funnel): select = writer.funnelReport(funnel)
        case .tiers(let settings): select = writer.tiersReport(settings)
        case .pareto(let top, let settings): select = writer.paretoReport(top: top, settings)
        case .lifecycle(let by, let stage): select = writer.lifecycleReport(by: by, stage: stage)
        case .retention(let period, let since, let settings): select = writer.retentionReport(period: period, since: since, settings)
        case .valueChain(let settings, let stage): select = writer.valueChainReport(settings, stage: stage)
        case .settings(let rows): select = writer.settingsReport(rows)
        }
        select.limit = rowLimit
        return CompiledQuery(sql: select.printed(), binds: writer.binds, columns: report.columns)
    }
}

extension SQLWriter {
    static func text(_ sql: String) -> String { "(\(sql))::text" }
    static func seconds(_ sql: String) -> String { "extract(epoch FROM (\(sql)))::text" }

    mutating func funnelReport(_ funnel: TypedFunnel) -> Select {
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
        if let breakdown = funnel.breakdown { columns.append(output("g.b", type: breakdown.type).plain + " AS c0") }
        columns += ["v.step::text", "v.event", "v.optional::text", "v.profiles::text", "v.from_previous::text", "v.from_first::text",
                    Self.seconds("v.median_time"), Self.seconds("v.p90_time")]
        let counts = Select(columns: (grouped ? ["f.b"] : []) + aggregates, from: "(\(relation)) f", groupBy: grouped ? ["f.b"] : [],
                            layout: .oneLine)
        return Select(columns: columns, from: counts.named("g"),
                      joins: ["CROSS JOIN LATERAL (VALUES " + rows.joined(separator: ", ")
                                + ") v(step, event, optional, profiles, from_previous, from_first, median_time, p90_time)"],
                      orderBy: (funnel.breakdown.map { [orderTerm("g.b", type: $0.type).plain + " NULLS LAST"] } ?? []) + ["v.step"])
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

    /// The tier index of a row of `valueRanking`'s `r`: the first tier whose last rank it is
    /// within (`rn - 1 < share * n` is `rn <= ceil(share * n)` for a whole `rn`).
    func rankedTier(_ settings: ValueSettings) -> String {
        "CASE " + settings.tiers.indices.map { "WHEN r.rn <= r.b\($0 + 1) THEN \($0)" }.joined(separator: " ") + " ELSE \(settings.tiers.count) END"
    }

    /// The ranking by clv without visiting every profile: `c` holds the live profiles with
    /// revenue or cost events (`c1` id, `c2` clv, then `extra`); every other live profile has
    /// clv 0. `k` counts them: `n` live profiles, `p` with clv above 0, `z` with clv 0, and the
    /// clv total. `r` ranks the profiles whose clv is not 0 (rank `rn` of `n`): those above 0
    /// come first, then the block of zeros (ranks p+1 … p+z, ties by id, so no row needs to
    /// stand for them), then those below 0.
    ///
    /// `k` also holds each tier's last rank (`b1`…), which `r` carries, so a row's tier is found
    /// by comparing integers. When the summaries hold the settings' flows and nothing is
    /// discounted, `r` reads the clv the profiles' own summary rows keep (`value`), in the order
    /// of its index, so nothing is sorted; and `k` counts and sums the same index's entries
    /// (those with clv not 0, a fraction of the rows' width), so `c` is not written unless
    /// `extra` asks for more of it. Both paths count the clvs that are not 0 alone (the zeros are
    /// `z`), so a zero written with more decimals (0.000) gives the total none on either.
    mutating func valueRanking(_ settings: ValueSettings, extra: [TypedExpr] = []) -> [Select.CTE] {
        let kept = summaries?.holds(settings) == true && Decimal(string: settings.discount) == 0
        let flows = kept && extra.isEmpty ? nil : flowRows([TypedExpr(.value(.clv, settings), .number)] + extra)
        var cumulative = Decimal(0)
        let bounds = settings.tiers.enumerated().map { index, share -> String in
            cumulative += Decimal(string: share) ?? 0
            return "ceil(\(bind(.numeric("\(cumulative)"))) * s.n)::bigint AS b\(index + 1)"
        }
        let carried = settings.tiers.indices.map { ", k.b\($0 + 1)" }.joined()
        let ranked = kept
            ? "SELECT v.value AS clv, row_number() OVER (ORDER BY v.value DESC, v.profile_id) + CASE WHEN v.value < 0 THEN k.z ELSE 0 END AS rn, k.n\(carried)"
                + "\n      FROM profile_summaries v, k WHERE v.value <> 0"
            : "SELECT c.c2 AS clv, row_number() OVER (ORDER BY c.c2 DESC, c.c1) + CASE WHEN c.c2 < 0 THEN k.z ELSE 0 END AS rn, k.n\(carried)"
                + "\n      FROM c, k WHERE c.c2 <> 0"
        let (clv, counted) = kept ? ("v.value", "profile_summaries v WHERE v.value <> 0") : ("c.c2", "c WHERE c.c2 <> 0")
        return (flows.map { [Select.CTE("c", materialized: true, $0)] } ?? []) + [
            Select.CTE("k", materialized: true, """
                SELECT s.n, s.p, s.n - s.p - s.q AS z, s.total, \(bounds.joined(separator: ", ")) FROM (
                    SELECT \(Self.liveProfileCount) AS n, count(*) FILTER (WHERE \(clv) > 0) AS p,
                           count(*) FILTER (WHERE \(clv) < 0) AS q, COALESCE(sum(\(clv)), 0) AS total FROM \(counted)) s
                """),
            Select.CTE("r", ranked),
        ]
    }

    /// Each tier's index `i`, name, and ranks (lo, hi] against `k`'s count `n`.
    mutating func tierBounds(_ settings: ValueSettings) -> String {
        var cumulative = Decimal(0)
        var bounds: [String] = []
        for share in settings.tiers {
            cumulative += Decimal(string: share) ?? 0
            bounds.append("ceil(\(bind(.numeric("\(cumulative)"))) * k.n)")
        }
        bounds.append("k.n")
        let rows = ValueSettings.tierNames.enumerated().map { index, name in
            "(\(index), '\(name)', \(index == 0 ? "0" : bounds[index - 1]), \(bounds[index]))"
        }
        return "(VALUES " + rows.joined(separator: ", ") + ") tn(i, name, lo, hi)"
    }

    /// Per tier (`tn` of `tierBounds`, beside `k`): `g` the non-zero profiles' count, sum,
    /// min and max; `zr.zeros` how many of the zero block fall in the tier.
    mutating func tierTable(_ settings: ValueSettings) -> String {
        """
        k CROSS JOIN LATERAL \(tierBounds(settings))
        LEFT JOIN (SELECT \(rankedTier(settings)) AS i, count(*) AS n, sum(r.clv) AS value, min(r.clv) AS lo, max(r.clv) AS hi
                   FROM r GROUP BY 1) g ON g.i = tn.i
        CROSS JOIN LATERAL (SELECT greatest(0, least(tn.hi, k.p + k.z) - greatest(tn.lo, k.p)) AS zeros) zr
        """
    }

    mutating func tiersReport(_ settings: ValueSettings) -> Select {
        let ranking = valueRanking(settings)
        var tiers = Select(columns: ["tn.name", "(COALESCE(g.n, 0) + zr.zeros)::text", "((COALESCE(g.n, 0) + zr.zeros)::numeric / NULLIF(k.n, 0))::text",
                                     "COALESCE(g.value, 0)::text", "(COALESCE(g.value, 0) / NULLIF(k.total, 0))::text",
                                     "(CASE WHEN zr.zeros > 0 THEN least(g.lo, 0) ELSE g.lo END)::text",
                                     "(CASE WHEN zr.zeros > 0 THEN greatest(g.hi, 0) ELSE g.hi END)::text"],
                           from: tierTable(settings), orderBy: ["tn.i"])
        tiers.with = ranking
        return tiers
    }

    mutating func paretoReport(top: String, _ settings: ValueSettings) -> Select {
        let ranking = valueRanking(settings)
        let share = bind(.numeric(top))
        var pareto = Select(columns: ["\(share)::text", "ceil(\(share) * k.n)::bigint::text", "COALESCE(s.value, 0)::text", "k.total::text",
                                      "(COALESCE(s.value, 0) / NULLIF(k.total, 0))::text"],
                            from: "k", joins: ["CROSS JOIN (SELECT sum(r.clv) FILTER (WHERE r.rn <= ceil(\(share) * r.n)) AS value FROM r) s"])
        pareto.with = ranking
        return pareto
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

    mutating func lifecycleReport(by: TypedExpr?, stage: TypedExpr) -> Select {
        var rows = by == nil ? stagedProfiles(stage) : profileRows([stage] + (by.map { [$0] } ?? []))
        rows.offset = 0
        let index = stageIndex("q.c2")
        let (aggregates, values) = stageRows("s", grouped: by != nil)
        var columns: [String] = []
        if let by { columns.append(output("g.b", type: by.type).plain) }
        columns += ["v.stage", "v.profiles::text", "v.reached::text", "v.conversion::text"]
        // Materialized: each profile's stage is worked out once, not once per count below.
        let staged = Select(columns: (by == nil ? [] : ["q.c3 AS b"]) + ["\(index) AS si"], from: rows.named("q"), conditions: ["q.c2 IS NOT NULL"],
                            layout: .oneLine)
        let counts = Select(columns: (by == nil ? [] : ["s.b"]) + [aggregates], from: "s", groupBy: by == nil ? [] : ["s.b"], layout: .oneLine)
        var lifecycle = Select(columns: columns, from: counts.named("g"),
                               joins: ["CROSS JOIN LATERAL (VALUES \(values)) v(i, stage, profiles, reached, conversion)"],
                               orderBy: (by.map { [orderTerm("g.b", type: $0.type).plain + " NULLS LAST"] } ?? []) + ["v.i"])
        lifecycle.with = [Select.CTE("s", materialized: true, staged.printed())]
        return lifecycle
    }

    /// Each live customer's periods with an order (a revenue event with a value above 0),
    /// with the first order in each (`first`): one grouped pass over the revenue events, or over
    /// the orders by UTC day the summaries keep (a week or a month is whole days) when they hold
    /// the settings' flows. Without `first` (only a `since` reads it), the summaries' periods come
    /// from the key of `order_days` alone, since a period is made of whole UTC days (queries run
    /// in UTC); the raw path's unread `first` is left to the planner to drop.
    mutating func orderPeriods(_ settings: ValueSettings, unit: String, first: Bool) -> String {
        if summaries?.holds(settings) == true {
            guard first else {
                return "SELECT o.profile_id, date_trunc('\(unit)', o.day::timestamp) AT TIME ZONE 'UTC' AS period FROM order_days o GROUP BY 1, 2"
            }
            return "SELECT o.profile_id, date_trunc('\(unit)', o.first_ts) AS period, min(o.first_ts) AS first FROM order_days o GROUP BY 1, 2"
        }
        guard let (value, condition) = flowValue(settings.revenue) else {
            return "SELECT NULL::bigint AS profile_id, NULL::timestamptz AS period, NULL::timestamptz AS first WHERE FALSE"
        }
        return "SELECT e.profile_id, date_trunc('\(unit)', e.ts) AS period, min(e.ts) AS first FROM events e WHERE \(condition) AND \(value) > 0"
            + " AND \(Self.live("e.profile_id")) GROUP BY 1, 2"
    }

    mutating func retentionReport(period: RetentionPeriod, since: TypedExpr?, _ settings: ValueSettings) -> Select {
        let unit = period.rawValue
        let periods = orderPeriods(settings, unit: unit, first: since != nil)
        let now = bind(.now)
        let sinceFilter = since.map { " WHERE x.first >= \(expr($0, .event).plain)" } ?? ""
        // Each customer's cohort is its earliest period with an order (a window over its
        // periods), so one pass over the orders gives both the cohorts and the activity.
        var retention = Select(columns: ["extract(epoch FROM s.cohort)::text", "(gs.n - 1)::text", "s.customers::text", "COALESCE(a.active, 0)::text",
                                         "(COALESCE(a.active, 0)::numeric / s.customers)::text"],
                               from: "sizes s",
                               joins: ["CROSS JOIN LATERAL generate_series(s.cohort, date_trunc('\(unit)', \(now)), interval '1 \(unit)') WITH ORDINALITY AS gs(period, n)",
                                       "LEFT JOIN act a ON a.cohort = s.cohort AND a.period = gs.period"],
                               orderBy: ["s.cohort", "gs.n"])
        retention.with = [
            Select.CTE("op", periods),
            Select.CTE("act", """
                SELECT x.cohort, x.period, count(*) AS active
                        FROM (SELECT op.period, min(op.period) OVER w AS cohort\(since == nil ? "" : ", min(op.first) OVER w AS first") FROM op
                              WINDOW w AS (PARTITION BY op.profile_id)) x\(sinceFilter)
                        GROUP BY x.cohort, x.period
                """),
            Select.CTE("sizes", "SELECT act.cohort, act.active AS customers FROM act WHERE act.period = act.cohort"),
        ]
        return retention
    }

    mutating func valueChainReport(_ settings: ValueSettings, stage: TypedExpr) -> Select {
        let orders = TypedExpr(.value(.orders, settings), .number)
        let ranking = valueRanking(settings, extra: [orders])
        var stages = stagedProfiles(stage)
        stages.offset = 0
        let stageIndex = stageIndex("q.c2")
        let (stageAggregates, stageValues) = stageRows("q", grouped: false)
        let campaign = "COALESCE(\(typedJSON("e.props", key: bind(.text("campaign")), type: .text)), "
            + "CASE WHEN jsonb_typeof(e.context -> 'campaign' -> 'name') = 'string' THEN e.context -> 'campaign' ->> 'name' END)"
        let revenue = flowValue(settings.revenue)
        let revenueValue = revenue.map { "CASE WHEN \($0.condition) THEN \($0.value) END" } ?? "NULL::numeric"
        let top = bind(.numeric("0.2"))
        let names = ["portfolio", "intimacy", "network", "value proposition", "lifecycle"].map { bind(.text($0)) }
        func m(_ text: String) -> String { bind(.text(text)) }
        // How many sources each profile has, summed, and each profile's acquiring source (the
        // source of its first event in event order): from the profiles' own summary rows when
        // the summaries are ready (its distinct sources counted, its first event's source kept),
        // else from the events.
        let sourcesCount = summaries != nil
            ? "SELECT COALESCE(sum(v.sources), 0) FROM profile_summaries v"
            : "SELECT count(*) FROM (SELECT DISTINCT e.profile_id, e.source FROM events e WHERE e.source IS NOT NULL AND \(Self.live("e.profile_id"))) d"
        // Network: the live profiles by acquiring source. From the summaries, the profiles are
        // their own summary rows (one per live profile with events; every customer has events),
        // and those without events are counted, not read: no source, not customers, no value.
        let network = summaries != nil
            ? """
              SELECT s.source, sum(s.n) AS n, sum(s.customers) AS customers, sum(s.value) AS value
                    FROM (SELECT NULLIF(v.first_source, '') AS source, count(*) AS n, count(*) FILTER (WHERE c.c3 > 0) AS customers,
                                 COALESCE(sum(c.c2), 0) AS value
                            FROM profile_summaries v LEFT JOIN c ON c.c1 = v.profile_id GROUP BY 1
                          UNION ALL SELECT NULL, \(Self.liveProfileCount) - (SELECT count(*) FROM profile_summaries), 0, 0) s
                    GROUP BY s.source HAVING sum(s.n) > 0
              """
            : """
              SELECT acq.source, count(*) AS n, count(*) FILTER (WHERE c.c3 > 0) AS customers, COALESCE(sum(c.c2), 0) AS value
                    FROM profiles p LEFT JOIN (SELECT DISTINCT ON (e.profile_id) e.profile_id, e.source FROM events e ORDER BY e.profile_id, \(Self.eventOrder)) acq ON acq.profile_id = p.id
                    LEFT JOIN c ON c.c1 = p.id
                    WHERE \(Self.live(profileRow: "p"))
                    GROUP BY acq.source
              """
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
            FROM \(tierTable(settings))
            CROSS JOIN LATERAL (VALUES (0, \(m("tier_profiles")), (COALESCE(g.n, 0) + zr.zeros)::numeric),
                (1, \(m("tier_value")), COALESCE(g.value, 0))) x(o, measure, value)
            """,
            // Intimacy. The traits are counted as one set of keys joined to the profiles (not a
            // count per profile summed), which PostgreSQL reads at about twice the speed.
            """
            SELECT 2, x.o2, 0, NULL::text, \(names[1]), x.measure, x.value
            FROM a CROSS JOIN LATERAL (VALUES
                (1, \(m("identifiers_per_profile")), (SELECT count(*) FROM identities i WHERE \(Self.live("i.profile_id")))::numeric / NULLIF(a.n, 0)),
                (2, \(m("traits_per_profile")), (SELECT count(*) FROM profiles p
                                        CROSS JOIN LATERAL jsonb_object_keys(CASE WHEN jsonb_typeof(p.traits) = 'object' THEN p.traits ELSE '{}' END) t
                                        WHERE \(Self.live(profileRow: "p")))::numeric / NULLIF(a.n, 0)),
                (3, \(m("sources_per_profile")), (\(sourcesCount))::numeric / NULLIF(a.n, 0))) x(o2, measure, value)
            """,
            // Network: by the source of each profile's first event.
            """
            SELECT 3, x.o2, 0, nw.source, \(names[2]), x.measure, x.value
            FROM (\(network)) nw
            CROSS JOIN LATERAL (VALUES (1, \(m("profiles")), nw.n::numeric), (2, \(m("customers")), nw.customers::numeric),
                (3, \(m("value")), nw.value)) x(o2, measure, value)
            """,
            // Value proposition: events carrying a campaign.
            """
            SELECT 4, x.o2, 0, vp.campaign, \(names[3]), x.measure, x.value
            FROM (SELECT c.campaign, count(DISTINCT c.profile_id) AS profiles, count(*) AS events,
                         count(*) FILTER (WHERE c.value > 0) AS orders, COALESCE(sum(c.value), 0) AS revenue
                  FROM (SELECT e.profile_id, \(campaign) AS campaign, \(revenueValue) AS value FROM events e WHERE \(Self.live("e.profile_id"))) c
                  WHERE c.campaign IS NOT NULL GROUP BY c.campaign) vp
            CROSS JOIN LATERAL (VALUES (1, \(m("profiles")), vp.profiles::numeric), (2, \(m("events")), vp.events::numeric),
                (3, \(m("orders")), vp.orders::numeric), (4, \(m("revenue")), vp.revenue)) x(o2, measure, value)
            """,
            // Lifecycle. (OFFSET 0: each profile's stage index is worked out once, not in each count.)
            """
            SELECT 5, x.o2, v.i, v.stage, \(names[4]), x.measure, x.value
            FROM (SELECT \(stageAggregates) FROM (SELECT \(stageIndex) AS si FROM \(stages.named("q")) WHERE q.c2 IS NOT NULL OFFSET 0) q) g
            CROSS JOIN LATERAL (VALUES \(stageValues)) v(i, stage, profiles, reached, conversion)
            CROSS JOIN LATERAL (VALUES (1, \(m("profiles")), v.profiles::numeric), (2, \(m("conversion")), v.conversion)) x(o2, measure, value)
            """,
        ]
        var chain = Select(columns: ["u.stage", "u.measure", "u.key", "u.value::text"],
                           from: "(\n" + parts.joined(separator: "\nUNION ALL\n") + "\n) u(o1, o2, o3, key, stage, measure, value)",
                           orderBy: ["u.o1", "u.o3", "u.key COLLATE \"C\" NULLS LAST", "u.o2"])
        chain.with = ranking + [Select.CTE("a", """
            SELECT k.n, (SELECT count(*) FROM c WHERE c.c3 > 0) AS customers, k.total,
                         COALESCE((SELECT sum(r.clv) FROM r WHERE r.rn <= ceil(\(top) * r.n)), 0) AS top FROM k
            """)]
        return chain
    }

    mutating func settingsReport(_ rows: [(setting: String, value: String, isDefault: Bool)]) -> Select {
        let values = rows.map { "(\(bind(.text($0.setting))), \(bind(.text($0.value))), \($0.isDefault ? "TRUE" : "FALSE"))" }
        return Select(columns: ["s.setting", "s.value", "s.is_default::text"],
                      from: "(VALUES " + values.joined(separator: ", ") + ") s(setting, value, is_default)")
    }
}
