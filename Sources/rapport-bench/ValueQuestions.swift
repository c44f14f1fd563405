/// The query benchmark's customer-value questions (funnels and value reports), in RQL and as the best
/// SQL written by hand, in the format of `QueryQuestion.all`.
extension QueryQuestion {
    /// Saved before the questions run: the funnel `funnel4` shows.
    static let valueSetup = #"funnel bench_buy = page where path = "/" -> `Product Viewed` -> `Added to Cart` -> `Order Completed` within 7 days exclude page where path = "/p/0""#

    // Default value settings: revenue = `Order Completed`.revenue and purchase.amount (a revenue event's
    // value is the sum of those that are numbers; none: ignored), no cost, 0% discount (clv = revenue,
    // exactly), tiers 10/16/35/20%. Live profiles only (merged_into IS NULL, checked as "not among the
    // merged"). Timestamps and durations come out as epoch seconds (numeric), as Rapport's compiled SQL
    // returns them, so that QueryBenchmark.compare sees the same numbers; ratios are numeric divisions.
    // Tuned on the benchmark tenant with the indexes it has: events_profile_ts, events_name_ts,
    // events_ts_brin (migrations) and events_name_profile_ts ON events (name, profile_id, ts) WHERE
    // type = 'track' (the funnel's step probes need it).
    /// The hand SQL's first CTE for pareto and rfm: the revenue events of live profiles, their times and values
    /// (null when no configured property is a number).
    static let revenueEvents = """
        WITH rv AS MATERIALIZED (
          SELECT e.profile_id, e.ts,
                 CASE WHEN e.name = 'Order Completed'
                      THEN CASE WHEN jsonb_typeof(e.props -> 'revenue') = 'number' THEN (e.props -> 'revenue')::numeric END
                      ELSE CASE WHEN jsonb_typeof(e.props -> 'amount') = 'number' THEN (e.props -> 'amount')::numeric END END AS v
            FROM events e
           WHERE e.type = 'track' AND e.name COLLATE "C" IN ('Order Completed', 'purchase')
             AND NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = e.profile_id AND m.merged_into IS NOT NULL)
        """

    static let value: [QueryQuestion] = [
        // Greedy funnel over every attempt. Attempts (every page with path "/") and exclusions from one parallel
        // pass over the page events (the path is only in props), x per attempt from the profile's excluded
        // times; each later step's match is then one probe of events_name_profile_ts per attempt (the first event
        // of the step at or after the previous match, min = first index entry); of a profile's attempts the one
        // reaching the highest step, the earliest of those, counts (attempts entered at one instant match alike).
        // `event` is the step's event name (`page` for step 1); durations in seconds (as Rapport returns them),
        // percentile_cont over the intervals.
        QueryQuestion(
            name: "funnel4",
            rql: #"show funnel bench_buy"#,
            sql: """
                WITH en AS MATERIALIZED (
                  -- each attempt of a live profile (a page with path "/") and x, its first excluded page at or after it
                  SELECT g.profile_id, a.t1, (SELECT min(u) FROM unnest(g.xs) u WHERE u >= a.t1) AS x
                    FROM (SELECT e.profile_id,
                                 array_agg(DISTINCT e.ts) FILTER (WHERE e.props ->> 'path' = '/') AS t1s,
                                 array_agg(e.ts) FILTER (WHERE e.props ->> 'path' = '/p/0') AS xs
                            FROM events e
                           WHERE e.type = 'page' AND e.props ->> 'path' IN ('/', '/p/0')
                             AND NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = e.profile_id AND m.merged_into IS NOT NULL)
                           GROUP BY e.profile_id) g
                   CROSS JOIN LATERAL unnest(g.t1s) AS a(t1)
                ), m AS (
                  -- each step's match: the first event of the step at or after the previous match (one probe of
                  -- events_name_profile_ts); a match past the window or not before x ends the attempt; each profile's best
                  SELECT DISTINCT ON (en.profile_id) en.t1, s2.t2, s3.t3, s4.t4
                    FROM en
                    LEFT JOIN LATERAL (
                      SELECT min(e.ts) AS t2 FROM events e
                       WHERE e.type = 'track' AND e.name = 'Product Viewed' AND e.profile_id = en.profile_id AND e.ts >= en.t1
                      HAVING min(e.ts) <= en.t1 + interval '7 days' AND (en.x IS NULL OR min(e.ts) < en.x)) s2 ON true
                    LEFT JOIN LATERAL (
                      SELECT min(e.ts) AS t3 FROM events e
                       WHERE e.type = 'track' AND e.name = 'Added to Cart' AND e.profile_id = en.profile_id AND e.ts >= s2.t2
                      HAVING min(e.ts) <= en.t1 + interval '7 days' AND (en.x IS NULL OR min(e.ts) < en.x)) s3 ON true
                    LEFT JOIN LATERAL (
                      SELECT min(e.ts) AS t4 FROM events e
                       WHERE e.type = 'track' AND e.name = 'Order Completed' AND e.profile_id = en.profile_id AND e.ts >= s3.t3
                      HAVING min(e.ts) <= en.t1 + interval '7 days' AND (en.x IS NULL OR min(e.ts) < en.x)) s4 ON true
                   ORDER BY en.profile_id, (s4.t4 IS NOT NULL) DESC, (s3.t3 IS NOT NULL) DESC, (s2.t2 IS NOT NULL) DESC, en.t1
                ), a AS (
                  SELECT count(*) AS n1, count(t2) AS n2, count(t3) AS n3, count(t4) AS n4,
                         percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY t2 - t1) AS d2,
                         percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY t3 - t2) AS d3,
                         percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY t4 - t3) AS d4
                    FROM m
                )
                SELECT s.step, s.event, false AS optional, s.profiles,
                       s.profiles::numeric / nullif(s.previous, 0) AS from_previous,
                       s.profiles::numeric / nullif(a.n1, 0) AS from_first,
                       extract(epoch FROM s.d[1]) AS median_time, extract(epoch FROM s.d[2]) AS p90_time
                  FROM a, LATERAL (VALUES (1, 'page', a.n1, NULL, NULL::interval[]),
                                          (2, 'Product Viewed', a.n2, a.n1, a.d2),
                                          (3, 'Added to Cart', a.n3, a.n2, a.d3),
                                          (4, 'Order Completed', a.n4, a.n3, a.d4)) s(step, event, profiles, previous, d)
                 ORDER BY s.step
                """),
        // Only profiles with clv <> 0 are ranked: the profiles with clv 0 (without revenue among them) form one
        // block of ranks whose overlap with each tier is arithmetic. Ties in clv may be ranked in any order,
        // since equal values give the same tier statistics. `COLLATE "C"` on the name keeps the planner off the
        // name indexes, which would visit every heap page anyway, in one process: the parallel scan is twice
        // as fast. The per-profile sums run in three parts by id so that each part's numeric sums stay in memory.
        QueryQuestion(
            name: "tiers",
            rql: #"show tiers"#,
            sql: """
                WITH rv AS MATERIALIZED (
                  -- the revenue events of live profiles and their values (null when no configured property is a number)
                  SELECT e.profile_id,
                         CASE WHEN e.name = 'Order Completed'
                              THEN CASE WHEN jsonb_typeof(e.props -> 'revenue') = 'number' THEN (e.props -> 'revenue')::numeric END
                              ELSE CASE WHEN jsonb_typeof(e.props -> 'amount') = 'number' THEN (e.props -> 'amount')::numeric END END AS v
                    FROM events e
                   WHERE e.type = 'track' AND e.name COLLATE "C" IN ('Order Completed', 'purchase')
                     AND NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = e.profile_id AND m.merged_into IS NOT NULL)
                ), c AS MATERIALIZED (
                  -- clv per live profile with revenue events (0% discount, no cost: clv = revenue), in three parts by
                  -- id so that each part's sums stay in memory
                  SELECT rv.profile_id, sum(rv.v) AS clv FROM rv WHERE rv.profile_id % 3 = 0 GROUP BY rv.profile_id
                  UNION ALL
                  SELECT rv.profile_id, sum(rv.v) FROM rv WHERE rv.profile_id % 3 = 1 GROUP BY rv.profile_id
                  UNION ALL
                  SELECT rv.profile_id, sum(rv.v) FROM rv WHERE rv.profile_id % 3 = 2 GROUP BY rv.profile_id
                ), k AS MATERIALIZED (
                  SELECT s.n, s.p, s.n - s.p - s.q AS z, s.total,
                         ceil(0.10 * s.n) AS b1, ceil(0.26 * s.n) AS b2, ceil(0.61 * s.n) AS b3, ceil(0.81 * s.n) AS b4
                    FROM (SELECT (SELECT count(*) FROM profiles) - (SELECT count(*) FROM profiles WHERE merged_into IS NOT NULL) AS n,
                                 count(*) FILTER (WHERE c.clv > 0) AS p, count(*) FILTER (WHERE c.clv < 0) AS q,
                                 coalesce(sum(c.clv), 0) AS total
                            FROM c) s
                ), g AS (
                  SELECT CASE WHEN x.r <= k.b1 THEN 1 WHEN x.r <= k.b2 THEN 2 WHEN x.r <= k.b3 THEN 3 WHEN x.r <= k.b4 THEN 4 ELSE 5 END AS o,
                         count(*) AS n, sum(x.clv) AS value, min(x.clv) AS lo, max(x.clv) AS hi
                    FROM (SELECT c.clv, row_number() OVER (ORDER BY c.clv DESC) + CASE WHEN c.clv < 0 THEN k.z ELSE 0 END AS r
                            FROM c, k WHERE c.clv <> 0) x, k
                   GROUP BY 1
                )
                SELECT t.tier, coalesce(g.n, 0) + zr.zeros AS profiles,
                       (coalesce(g.n, 0) + zr.zeros)::numeric / nullif(k.n, 0) AS share,
                       coalesce(g.value, 0) AS value, coalesce(g.value, 0) / nullif(k.total, 0) AS value_share,
                       CASE WHEN zr.zeros > 0 THEN least(g.lo, 0) ELSE g.lo END AS min_clv,
                       CASE WHEN zr.zeros > 0 THEN greatest(g.hi, 0) ELSE g.hi END AS max_clv
                  FROM k
                 CROSS JOIN (VALUES (1, 'platinum'), (2, 'gold'), (3, 'silver'), (4, 'bronze'), (5, 'lead')) t(o, tier)
                  LEFT JOIN g ON g.o = t.o
                 CROSS JOIN LATERAL (
                   -- the tier's ranks (lo, hi] against the zero block p+1 .. p+z
                   SELECT greatest(0, least(b.hi, k.p + k.z) - greatest(b.lo, k.p)) AS zeros
                     FROM (SELECT CASE t.o WHEN 1 THEN 0 WHEN 2 THEN k.b1 WHEN 3 THEN k.b2 WHEN 4 THEN k.b3 ELSE k.b4 END AS lo,
                                  CASE t.o WHEN 1 THEN k.b1 WHEN 2 THEN k.b2 WHEN 3 THEN k.b3 WHEN 4 THEN k.b4 ELSE k.n END AS hi) b) zr
                 ORDER BY t.o
                """),
        // The top 20% of the tier ranking (clv descending, ties by id) and their share of all clv. The same clv per
        // profile as tiers; the top k are the k greatest clvs: the positive ones first (a top-N sort of those alone),
        // then the zeros (which add nothing), then the negative ones, greatest first.
        QueryQuestion(
            name: "pareto",
            rql: #"show pareto"#,
            sql: """
                \(revenueEvents)
                ), c AS MATERIALIZED (
                  SELECT rv.profile_id, sum(rv.v) AS clv FROM rv GROUP BY rv.profile_id
                ), k AS MATERIALIZED (
                  SELECT s.n, s.p, s.n - s.p - s.q AS z, s.total, ceil(0.20 * s.n) AS top
                    FROM (SELECT (SELECT count(*) FROM profiles) - (SELECT count(*) FROM profiles WHERE merged_into IS NOT NULL) AS n,
                                 count(*) FILTER (WHERE c.clv > 0) AS p, count(*) FILTER (WHERE c.clv < 0) AS q,
                                 coalesce(sum(c.clv), 0) AS total
                            FROM c) s
                ), t AS (
                  SELECT coalesce((SELECT sum(a.clv) FROM (SELECT c.clv FROM c WHERE c.clv > 0 ORDER BY c.clv DESC
                                                            LIMIT (SELECT least(k.top, k.p) FROM k)) a), 0)
                         + coalesce((SELECT sum(b.clv) FROM (SELECT c.clv FROM c WHERE c.clv < 0 ORDER BY c.clv DESC
                                                              LIMIT (SELECT greatest(k.top - k.p - k.z, 0) FROM k)) b), 0) AS value
                )
                SELECT 0.20 AS top, k.top AS profiles, t.value, k.total, t.value / nullif(k.total, 0) AS share
                  FROM k, t
                """),
        // Customers per rfm cell, and the rest (null). Each customer's last order, orders and revenue from one pass
        // over the revenue events; each score from the rank among the customers (rank − 1 customers have a strictly
        // smaller value).
        QueryQuestion(
            name: "rfm",
            rql: #"profiles | group by rfm select n = count()"#,
            sql: """
                \(revenueEvents)
                ), c AS MATERIALIZED (
                  SELECT rv.profile_id, sum(rv.v) AS revenue, count(*) FILTER (WHERE rv.v > 0) AS orders,
                         max(rv.ts) FILTER (WHERE rv.v > 0) AS last_order
                    FROM rv GROUP BY rv.profile_id HAVING count(*) FILTER (WHERE rv.v > 0) >= 1
                ), n AS (SELECT count(*) AS n FROM c),
                s AS (
                  SELECT (1 + 5 * (rank() OVER (ORDER BY c.last_order) - 1) / n.n)::text
                         || (1 + 5 * (rank() OVER (ORDER BY c.orders) - 1) / n.n)::text
                         || (1 + 5 * (rank() OVER (ORDER BY c.revenue) - 1) / n.n)::text AS rfm
                    FROM c, n
                )
                SELECT g.rfm, g.n
                  FROM (SELECT s.rfm, count(*) AS n FROM s GROUP BY 1
                        UNION ALL
                        SELECT NULL, x.n FROM (SELECT (SELECT count(*) FROM profiles) - (SELECT count(*) FROM profiles WHERE merged_into IS NOT NULL)
                                                      - (SELECT n FROM n) AS n) x
                         WHERE x.n > 0) g
                 ORDER BY g.rfm COLLATE "C" NULLS LAST
                """),
        // Default stages. Customers' orders from one parallel pass over the revenue events; reach (did any)
        // from the (profile_id, ts) index alone; inspire (referral, nps >= 9) from the track-name index.
        // Every customer and inspire profile has events, so reach's own count is the rest of them.
        QueryQuestion(
            name: "lifecycle",
            rql: #"show lifecycle"#,
            sql: """
                WITH o AS (
                  SELECT e.profile_id, count(*) AS orders, min(e.ts) AS first_order, max(e.ts) AS last_order
                    FROM events e
                   WHERE e.type = 'track' AND e.name COLLATE "C" IN ('Order Completed', 'purchase')
                     AND CASE WHEN e.name = 'Order Completed'
                              THEN CASE WHEN jsonb_typeof(e.props -> 'revenue') = 'number' THEN (e.props ->> 'revenue')::numeric END
                              ELSE CASE WHEN jsonb_typeof(e.props -> 'amount') = 'number' THEN (e.props ->> 'amount')::numeric END END > 0
                     AND NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = e.profile_id AND m.merged_into IS NOT NULL)
                   GROUP BY e.profile_id
                ), i AS (
                  SELECT DISTINCT e.profile_id
                    FROM events e
                   WHERE e.type = 'track'
                     AND (e.name = 'referral'
                          OR e.name = 'nps' AND CASE WHEN jsonb_typeof(e.props -> 'score') = 'number' THEN (e.props ->> 'score')::numeric END >= 9)
                     AND NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = e.profile_id AND m.merged_into IS NOT NULL)
                ), c AS (
                  SELECT (SELECT count(*) FROM (SELECT e.profile_id FROM events e GROUP BY e.profile_id ORDER BY e.profile_id) d
                           WHERE NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = d.profile_id AND m.merged_into IS NOT NULL)) AS reach,
                         (SELECT count(*) FROM i) AS inspire,
                         count(*) FILTER (WHERE o.last_order >= (SELECT $1::timestamptz - interval '90 days')
                                            AND o.first_order < (SELECT $1::timestamptz - interval '180 days')) AS retention,
                         count(*) FILTER (WHERE o.orders >= 2 AND NOT (o.last_order >= (SELECT $1::timestamptz - interval '90 days')
                                                                       AND o.first_order < (SELECT $1::timestamptz - interval '180 days'))) AS development,
                         count(*) FILTER (WHERE o.orders = 1 AND NOT (o.last_order >= (SELECT $1::timestamptz - interval '90 days')
                                                                      AND o.first_order < (SELECT $1::timestamptz - interval '180 days'))) AS acquisition
                    FROM o
                   WHERE NOT EXISTS (SELECT 1 FROM i WHERE i.profile_id = o.profile_id)
                ), s AS (
                  SELECT v.k, v.stage, v.profiles, sum(v.profiles) OVER (ORDER BY v.k DESC) AS reached
                    FROM c, LATERAL (VALUES (1, 'reach', c.reach - c.inspire - c.retention - c.development - c.acquisition),
                                            (2, 'acquisition', c.acquisition), (3, 'development', c.development),
                                            (4, 'retention', c.retention), (5, 'inspire', c.inspire)) v(k, stage, profiles)
                )
                SELECT s.stage, s.profiles, s.reached,
                       CASE WHEN s.k < 5 THEN lag(s.reached) OVER (ORDER BY s.k DESC) / nullif(s.reached, 0) END AS conversion
                  FROM s
                 ORDER BY s.k
                """),
        // Cohorts by the UTC month of the first order (a revenue event with value > 0); `cohort` in epoch
        // seconds, as Rapport returns timestamps.
        QueryQuestion(
            name: "retention",
            rql: #"show retention by month"#,
            sql: """
                WITH om AS (
                  -- each live customer's months with an order (a revenue event whose value is above 0)
                  SELECT e.profile_id, date_trunc('month', e.ts, 'UTC') AS m
                    FROM events e
                   WHERE e.type = 'track' AND e.name COLLATE "C" IN ('Order Completed', 'purchase')
                     AND CASE WHEN e.name = 'Order Completed'
                              THEN CASE WHEN jsonb_typeof(e.props -> 'revenue') = 'number' THEN (e.props -> 'revenue')::numeric END
                              ELSE CASE WHEN jsonb_typeof(e.props -> 'amount') = 'number' THEN (e.props -> 'amount')::numeric END END > 0
                     AND NOT EXISTS (SELECT 1 FROM profiles p WHERE p.id = e.profile_id AND p.merged_into IS NOT NULL)
                   GROUP BY e.profile_id, 2
                ), cm AS (
                  -- customers by (cohort, month with an order)
                  SELECT x.cohort, x.m, count(*) AS n
                    FROM (SELECT om.m, min(om.m) OVER (PARTITION BY om.profile_id) AS cohort FROM om) x
                   GROUP BY x.cohort, x.m
                ), c AS (
                  SELECT cm.cohort, sum(cm.n) FILTER (WHERE cm.m = cm.cohort) AS customers,
                         (extract(year FROM date_trunc('month', $1::timestamptz, 'UTC') AT TIME ZONE 'UTC') - extract(year FROM cm.cohort AT TIME ZONE 'UTC')) * 12
                           + extract(month FROM date_trunc('month', $1::timestamptz, 'UTC') AT TIME ZONE 'UTC') - extract(month FROM cm.cohort AT TIME ZONE 'UTC') AS last
                    FROM cm GROUP BY cm.cohort
                )
                SELECT extract(epoch FROM c.cohort) AS cohort, p.period, c.customers, coalesce(cm.n, 0) AS active,
                       coalesce(cm.n, 0)::numeric / c.customers AS retention
                  FROM c
                 CROSS JOIN LATERAL generate_series(0, c.last::int) p(period)
                  LEFT JOIN cm ON cm.cohort = c.cohort AND cm.m = c.cohort + p.period * interval '1 month'
                 ORDER BY c.cohort, p.period
                """),
        // One parallel pass over all events keeps the revenue events, the events with a campaign and any event
        // whose source differs from an arbitrary event's; when no event differs (one source, never null), every
        // profile with events has that one source and it acquired them, so the per-profile source pass (`ps`)
        // is skipped (its WHERE is false). Otherwise `ps` finds each profile's sources and first event.
        // Tier rows per tier: tier_profiles then tier_value. Campaigns and sources in code point order.
        QueryQuestion(
            name: "value_chain",
            rql: #"show value chain"#,
            sql: """
                WITH ev AS MATERIALIZED (
                  -- one pass over the events of live profiles, keeping the revenue events (with their value), the
                  -- events carrying a campaign, and any event whose source is not that of an arbitrary first event
                  SELECT e.profile_id, e.ts, e.source, x.campaign, e.type = 'track' AND e.name IN ('Order Completed', 'purchase') AS rev,
                         CASE WHEN e.type = 'track' AND e.name = 'Order Completed'
                              THEN CASE WHEN jsonb_typeof(e.props -> 'revenue') = 'number' THEN (e.props -> 'revenue')::numeric END
                              WHEN e.type = 'track' AND e.name = 'purchase'
                              THEN CASE WHEN jsonb_typeof(e.props -> 'amount') = 'number' THEN (e.props -> 'amount')::numeric END END AS v
                    FROM events e
                   CROSS JOIN LATERAL (SELECT coalesce(CASE WHEN jsonb_typeof(e.props -> 'campaign') = 'string' THEN e.props ->> 'campaign' END,
                                                       CASE WHEN jsonb_typeof(e.context -> 'campaign' -> 'name') = 'string' THEN e.context -> 'campaign' ->> 'name' END) AS campaign) x
                   WHERE (e.type = 'track' AND e.name IN ('Order Completed', 'purchase')
                          OR (e.props ? 'campaign' OR e.context ? 'campaign') AND x.campaign IS NOT NULL
                          OR e.source IS NULL OR e.source <> (SELECT f.source FROM events f LIMIT 1))
                     AND NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = e.profile_id AND m.merged_into IS NOT NULL)
                ), pc AS MATERIALIZED (
                  -- per live profile with revenue events: clv (0% discount, no cost: revenue), orders, first and last order
                  -- (in three parts by id, so that each part's sums stay in memory)
                  SELECT ev.profile_id, coalesce(sum(ev.v), 0) AS clv, count(*) FILTER (WHERE ev.v > 0) AS orders,
                         min(ev.ts) FILTER (WHERE ev.v > 0) AS first_order, max(ev.ts) FILTER (WHERE ev.v > 0) AS last_order
                    FROM ev WHERE ev.rev AND ev.profile_id % 3 = 0 GROUP BY ev.profile_id
                  UNION ALL
                  SELECT ev.profile_id, coalesce(sum(ev.v), 0), count(*) FILTER (WHERE ev.v > 0),
                         min(ev.ts) FILTER (WHERE ev.v > 0), max(ev.ts) FILTER (WHERE ev.v > 0)
                    FROM ev WHERE ev.rev AND ev.profile_id % 3 = 1 GROUP BY ev.profile_id
                  UNION ALL
                  SELECT ev.profile_id, coalesce(sum(ev.v), 0), count(*) FILTER (WHERE ev.v > 0),
                         min(ev.ts) FILTER (WHERE ev.v > 0), max(ev.ts) FILTER (WHERE ev.v > 0)
                    FROM ev WHERE ev.rev AND ev.profile_id % 3 = 2 GROUP BY ev.profile_id
                ), ins AS MATERIALIZED (
                  -- lifecycle stage inspire: did referral or did nps where score >= 9
                  SELECT DISTINCT e.profile_id
                    FROM events e
                   WHERE e.type = 'track'
                     AND (e.name = 'referral'
                          OR e.name = 'nps' AND CASE WHEN jsonb_typeof(e.props -> 'score') = 'number' THEN (e.props ->> 'score')::numeric END >= 9)
                     AND NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = e.profile_id AND m.merged_into IS NOT NULL)
                ), src AS MATERIALIZED (
                  -- every live profile's events have one same source (not null): it is each one's acquiring source
                  SELECT f.source AS s0, f.source IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ev WHERE ev.source IS DISTINCT FROM f.source) AS single
                    FROM (SELECT (SELECT f.source FROM events f LIMIT 1) AS source) f
                ), d AS MATERIALIZED (
                  -- live profiles with any event
                  SELECT count(*) AS n
                    FROM (SELECT e.profile_id FROM events e GROUP BY e.profile_id ORDER BY e.profile_id) x
                   WHERE NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = x.profile_id AND m.merged_into IS NOT NULL)
                ), ps AS MATERIALIZED (
                  -- only with several sources (or a null one): each live profile's acquiring source and number of sources
                  SELECT g.profile_id, g.sources,
                         CASE WHEN g.groups = 1 THEN g.s
                              ELSE (SELECT e.source FROM events e WHERE e.profile_id = g.profile_id ORDER BY e.ts, e.message_id COLLATE "C" LIMIT 1) END AS acquired
                    FROM (SELECT x.profile_id, count(*) AS groups, count(x.source) AS sources, min(x.source) AS s
                            FROM (SELECT e.profile_id, e.source FROM events e
                                   WHERE NOT (SELECT src.single FROM src)
                                   GROUP BY e.profile_id, e.source) x
                           WHERE NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = x.profile_id AND m.merged_into IS NOT NULL)
                           GROUP BY x.profile_id) g
                ), k AS MATERIALIZED (
                  SELECT s.n, s.p, s.n - s.p - s.q AS z, s.total, s.customers,
                         ceil(0.10 * s.n) AS b1, ceil(0.26 * s.n) AS b2, ceil(0.61 * s.n) AS b3, ceil(0.81 * s.n) AS b4, ceil(0.20 * s.n) AS top
                    FROM (SELECT (SELECT count(*) FROM profiles) - (SELECT count(*) FROM profiles WHERE merged_into IS NOT NULL) AS n,
                                 count(*) FILTER (WHERE pc.clv > 0) AS p, count(*) FILTER (WHERE pc.clv < 0) AS q,
                                 coalesce(sum(pc.clv), 0) AS total, count(*) FILTER (WHERE pc.orders >= 1) AS customers
                            FROM pc) s
                ), ranked AS MATERIALIZED (
                  -- the tier ranking of the profiles with clv <> 0 (ties in any order: equal clv, equal statistics);
                  -- the profiles with clv 0 take ranks p+1 .. p+z
                  SELECT pc.clv, row_number() OVER (ORDER BY pc.clv DESC) + CASE WHEN pc.clv < 0 THEN k.z ELSE 0 END AS r
                    FROM pc, k WHERE pc.clv <> 0
                ), tg AS MATERIALIZED (
                  SELECT CASE WHEN ranked.r <= k.b1 THEN 1 WHEN ranked.r <= k.b2 THEN 2 WHEN ranked.r <= k.b3 THEN 3 WHEN ranked.r <= k.b4 THEN 4 ELSE 5 END AS o,
                         count(*) AS n, sum(ranked.clv) AS value, sum(ranked.clv) FILTER (WHERE ranked.r <= k.top) AS top
                    FROM ranked, k GROUP BY 1
                ), tiers AS (
                  SELECT t.o, t.tier, coalesce(tg.n, 0) + greatest(0, least(t.hi, k.p + k.z) - greatest(t.lo, k.p)) AS profiles,
                         coalesce(tg.value, 0) AS value
                    FROM k
                   CROSS JOIN LATERAL (VALUES (1, 'platinum', 0, k.b1), (2, 'gold', k.b1, k.b2), (3, 'silver', k.b2, k.b3),
                                              (4, 'bronze', k.b3, k.b4), (5, 'lead', k.b4, k.n)) t(o, tier, lo, hi)
                    LEFT JOIN tg ON tg.o = t.o
                ), st AS (
                  -- lifecycle: customers' stages (inspire overrides), the rest of the profiles with events are at reach
                  SELECT (SELECT count(*) FROM ins) AS inspire,
                         count(*) FILTER (WHERE x.ret) AS retention,
                         count(*) FILTER (WHERE NOT x.ret AND pc.orders >= 2) AS development,
                         count(*) FILTER (WHERE NOT x.ret AND pc.orders = 1) AS acquisition
                    FROM pc
                   CROSS JOIN LATERAL (SELECT coalesce(pc.last_order >= (SELECT $1::timestamptz - interval '90 days')
                                                       AND pc.first_order < (SELECT $1::timestamptz - interval '180 days'), false) AS ret) x
                   WHERE pc.orders >= 1 AND NOT EXISTS (SELECT 1 FROM ins WHERE ins.profile_id = pc.profile_id)
                ), lc AS (
                  SELECT v.k, v.stage, v.profiles, sum(v.profiles) OVER (ORDER BY v.k DESC) AS reached
                    FROM st, d,
                         LATERAL (VALUES (1, 'reach', d.n - st.inspire - st.retention - st.development - st.acquisition),
                                         (2, 'acquisition', st.acquisition), (3, 'development', st.development),
                                         (4, 'retention', st.retention), (5, 'inspire', st.inspire)) v(k, stage, profiles)
                ), net AS (
                  SELECT src.s0 AS acquired, d.n AS profiles, k.customers, k.total AS value
                    FROM src, d, k WHERE src.single
                  UNION ALL
                  SELECT NULL, k.n - d.n, 0, 0 FROM src, d, k WHERE src.single AND k.n > d.n
                  UNION ALL
                  SELECT x.acquired, count(*), count(*) FILTER (WHERE pc.orders >= 1), coalesce(sum(pc.clv), 0)
                    FROM ps x LEFT JOIN pc ON pc.profile_id = x.profile_id
                   GROUP BY x.acquired
                  UNION ALL
                  SELECT NULL, k.n - (SELECT count(*) FROM ps), 0, 0 FROM src, k WHERE NOT src.single AND k.n > (SELECT count(*) FROM ps)
                ), net2 AS (
                  SELECT acquired, sum(profiles) AS profiles, sum(customers) AS customers, sum(value) AS value FROM net GROUP BY acquired
                ), camp AS (
                  SELECT c.campaign, p.profiles, c.events, c.orders, c.revenue
                    FROM (SELECT ev.campaign, count(*) AS events, count(*) FILTER (WHERE ev.v > 0) AS orders,
                                 coalesce(sum(ev.v) FILTER (WHERE ev.rev), 0) AS revenue
                            FROM ev WHERE ev.campaign IS NOT NULL GROUP BY ev.campaign) c
                    JOIN (SELECT ev.campaign, count(DISTINCT ev.profile_id) AS profiles
                            FROM ev WHERE ev.campaign IS NOT NULL GROUP BY ev.campaign) p ON p.campaign = c.campaign
                ), rows AS (
                  SELECT 1 AS a, NULL::text AS sk, 1 AS b, 'portfolio' AS stage, 'profiles' AS measure, NULL::text AS key, k.n::numeric AS value FROM k
                  UNION ALL SELECT 1, NULL, 2, 'portfolio', 'customers', NULL, k.customers FROM k
                  UNION ALL SELECT 1, NULL, 3, 'portfolio', 'clv_total', NULL, k.total FROM k
                  UNION ALL SELECT 1, NULL, 4, 'portfolio', 'clv_mean', NULL, k.total / nullif(k.n, 0) FROM k
                  UNION ALL SELECT 1, NULL, 5, 'portfolio', 'top20_share', NULL,
                                   (SELECT coalesce(sum(tg.top), 0) FROM tg) / nullif(k.total, 0) FROM k
                  UNION ALL SELECT 1, NULL, 4 + 2 * o, 'portfolio', 'tier_profiles', tier, profiles FROM tiers
                  UNION ALL SELECT 1, NULL, 5 + 2 * o, 'portfolio', 'tier_value', tier, value FROM tiers
                  UNION ALL SELECT 2, NULL, 1, 'intimacy', 'identifiers_per_profile', NULL,
                                   ((SELECT count(*) FROM identities)
                                    - (SELECT count(*) FROM identities i JOIN profiles m ON m.id = i.profile_id WHERE m.merged_into IS NOT NULL))::numeric
                                   / nullif(k.n, 0) FROM k
                  UNION ALL SELECT 2, NULL, 2, 'intimacy', 'traits_per_profile', NULL,
                                   (SELECT count(*) FROM profiles p, jsonb_object_keys(p.traits) WHERE p.merged_into IS NULL)::numeric / nullif(k.n, 0) FROM k
                  UNION ALL SELECT 2, NULL, 3, 'intimacy', 'sources_per_profile', NULL,
                                   CASE WHEN src.single THEN d.n ELSE (SELECT coalesce(sum(ps.sources), 0) FROM ps) END::numeric / nullif(k.n, 0) FROM k, d, src
                  UNION ALL SELECT 3, acquired, 1, 'network', 'profiles', acquired, profiles FROM net2
                  UNION ALL SELECT 3, acquired, 2, 'network', 'customers', acquired, customers FROM net2
                  UNION ALL SELECT 3, acquired, 3, 'network', 'value', acquired, value FROM net2
                  UNION ALL SELECT 4, campaign, 1, 'value proposition', 'profiles', campaign, profiles FROM camp
                  UNION ALL SELECT 4, campaign, 2, 'value proposition', 'events', campaign, events FROM camp
                  UNION ALL SELECT 4, campaign, 3, 'value proposition', 'orders', campaign, orders FROM camp
                  UNION ALL SELECT 4, campaign, 4, 'value proposition', 'revenue', campaign, revenue FROM camp
                  UNION ALL SELECT 5, NULL, 2 * lc.k, 'lifecycle', 'profiles', lc.stage, lc.profiles FROM lc
                  UNION ALL SELECT 5, NULL, 2 * lc.k + 1, 'lifecycle', 'conversion', lc.stage,
                                   CASE WHEN lc.k < 5 THEN (SELECT n.reached FROM lc n WHERE n.k = lc.k + 1) / nullif(lc.reached, 0) END FROM lc
                )
                SELECT stage, measure, key, value FROM rows ORDER BY a, sk COLLATE "C" NULLS LAST, b
                """),
    ]
}
