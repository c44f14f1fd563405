/// The benchmark's questions in DuckDB SQL, for the outside anchor (scripts/lib/duckdb_anchor.py):
/// the tenant's `profiles`, `identities` and `events` copied into DuckDB as they are (`traits`,
/// `props` and `context` as JSON, read at query time as Rapport reads jsonb), with the anchor's
/// macros `jnum(json, key)` (a number, else null) and `jstr(json, key)` (a string, else null).
/// Written from Grammar/README.md as the hand SQL is, in the way DuckDB runs them best: whole
/// scans and hash joins, no indexes. `$now` is the benchmark's now. Text sorts by code point in
/// DuckDB as `COLLATE "C"` does; nulls are placed explicitly.
extension QueryQuestion {
    /// Each profile's latest email (the latest seen, then the least) among `ids`, as `email (profile_id, value, r)` with r = 1.
    static func latestEmail(of ids: String) -> String {
        "SELECT i.profile_id, i.value, row_number() OVER (PARTITION BY i.profile_id ORDER BY i.last_seen DESC, i.value) AS r "
            + "FROM identities i WHERE i.kind = 'email' AND i.profile_id IN (\(ids))"
    }

    static let duckdb: [String: String] = [
        "trait_filter": """
            SELECT count(*) AS count FROM profiles
            WHERE merged_into IS NULL AND jstr(traits, 'plan') = 'pro' AND jstr(traits, 'country') IN ('DE', 'FR')
            """,
        "identity_lookup": """
            WITH p AS (SELECT id FROM profiles
                        WHERE merged_into IS NULL
                          AND id IN (SELECT profile_id FROM identities WHERE kind = 'email' AND value = 'person4245@example.com')),
            latest AS (SELECT i.profile_id, i.kind, i.value,
                              row_number() OVER (PARTITION BY i.profile_id, i.kind ORDER BY i.last_seen DESC, i.value) AS r
                         FROM identities i WHERE i.profile_id IN (SELECT id FROM p) AND i.kind IN ('user_id', 'email'))
            SELECT p.id, u.value AS user_id, m.value AS email
              FROM p
              LEFT JOIN latest u ON u.profile_id = p.id AND u.kind = 'user_id' AND u.r = 1
              LEFT JOIN latest m ON m.profile_id = p.id AND m.kind = 'email' AND m.r = 1
             ORDER BY p.id
            """,
        "frequent_buyers": """
            SELECT count(*) AS count
              FROM (SELECT profile_id FROM events
                     WHERE type = 'track' AND name = 'Order Completed' AND ts >= $now - INTERVAL 30 DAY AND ts <= $now
                     GROUP BY profile_id HAVING count(*) >= 2) b
             WHERE b.profile_id NOT IN (SELECT id FROM profiles WHERE merged_into IS NOT NULL)
            """,
        "spring_top": """
            WITH s AS (SELECT profile_id AS id, coalesce(sum(jnum(props, 'revenue')), 0) AS spring FROM events
                        WHERE type = 'track' AND name = 'Order Completed' AND ts >= TIMESTAMPTZ '2024-02-01 00:00:00+00'
                          AND jstr(props, 'campaign') = 'spring'
                        GROUP BY profile_id),
            top AS (SELECT p.id, coalesce(s.spring, 0) AS spring FROM profiles p LEFT JOIN s ON s.id = p.id
                     WHERE p.merged_into IS NULL ORDER BY spring DESC, p.id LIMIT 10),
            email AS (\(latestEmail(of: "SELECT id FROM top")))
            SELECT e.value AS email, top.spring FROM top LEFT JOIN email e ON e.profile_id = top.id AND e.r = 1
             ORDER BY top.spring DESC, top.id
            """,
        "abandoned_carts": """
            SELECT count(*) AS count
              FROM (SELECT DISTINCT profile_id FROM events
                     WHERE type = 'track' AND name = 'Added to Cart' AND ts >= $now - INTERVAL 7 DAY AND ts <= $now) c
             WHERE c.profile_id NOT IN (SELECT profile_id FROM events
                                         WHERE type = 'track' AND name = 'Order Completed' AND ts >= $now - INTERVAL 7 DAY AND ts <= $now)
               AND c.profile_id NOT IN (SELECT id FROM profiles WHERE merged_into IS NOT NULL)
            """,
        "top_spenders": """
            WITH o AS (SELECT profile_id AS id, count(*) AS orders, coalesce(sum(jnum(props, 'revenue')), 0) AS spent FROM events
                        WHERE type = 'track' AND name = 'Order Completed' GROUP BY profile_id),
            top AS (SELECT p.id, coalesce(o.orders, 0) AS orders, coalesce(o.spent, 0) AS spent FROM profiles p LEFT JOIN o ON o.id = p.id
                     WHERE p.merged_into IS NULL ORDER BY spent DESC, p.id LIMIT 20),
            email AS (\(latestEmail(of: "SELECT id FROM top")))
            SELECT e.value AS email, top.orders, top.spent FROM top LEFT JOIN email e ON e.profile_id = top.id AND e.r = 1
             ORDER BY top.spent DESC, top.id
            """,
        "segment_big": """
            SELECT count(*) AS count
              FROM (SELECT profile_id FROM events WHERE type = 'track' AND name = 'Order Completed'
                     GROUP BY profile_id HAVING coalesce(sum(jnum(props, 'revenue')), 0) > 500) b
             WHERE b.profile_id NOT IN (SELECT id FROM profiles WHERE merged_into IS NOT NULL)
            """,
        "segment_big_team": """
            SELECT count(*) AS count
              FROM (SELECT e.profile_id FROM events e
                     WHERE e.type = 'track' AND e.name = 'Order Completed'
                       AND e.profile_id IN (SELECT id FROM profiles WHERE merged_into IS NULL AND jstr(traits, 'plan') = 'team')
                     GROUP BY e.profile_id HAVING coalesce(sum(jnum(e.props, 'revenue')), 0) > 500) b
            """,
        "plan_country": """
            SELECT jstr(traits, 'plan') AS plan, jstr(traits, 'country') AS country, count(*) AS n
              FROM profiles WHERE merged_into IS NULL GROUP BY 1, 2 ORDER BY 1 ASC NULLS LAST, 2 ASC NULLS LAST
            """,
        "campaign_revenue": """
            SELECT jstr(props, 'campaign') AS campaign, count(*) AS n, coalesce(sum(jnum(props, 'revenue')), 0) AS revenue
              FROM events WHERE name = 'Order Completed' AND ts >= $now - INTERVAL 30 DAY AND ts <= $now
             GROUP BY 1 ORDER BY 1 ASC NULLS LAST
            """,
        "top_skus": """
            SELECT jstr(props, 'sku') AS sku, count(*) AS views
              FROM events WHERE name = 'Product Viewed' AND ts >= $now - INTERVAL 7 DAY AND ts <= $now
             GROUP BY 1 ORDER BY views DESC, sku ASC NULLS LAST LIMIT 10
            """,
        "page_views": """
            SELECT name, count(*) AS count FROM events
             WHERE type = 'page' AND ts >= $now - INTERVAL 7 DAY AND ts <= $now
             GROUP BY name ORDER BY name ASC NULLS LAST
            """,
        "pro_recent_logins": """
            WITH t AS (SELECT id, jstr(traits, 'country') AS country, jnum(traits, 'last_login_day') AS last_login_day FROM profiles
                        WHERE merged_into IS NULL AND jstr(traits, 'plan') = 'pro' AND jnum(traits, 'last_login_day') >= 85
                        ORDER BY last_login_day DESC, id LIMIT 50),
            email AS (\(latestEmail(of: "SELECT id FROM t")))
            SELECT e.value AS email, t.country, t.last_login_day FROM t LEFT JOIN email e ON e.profile_id = t.id AND e.r = 1
             ORDER BY t.last_login_day DESC, t.id
            """,
        "lapsed_buyers": """
            SELECT count(*) AS count
              FROM (SELECT DISTINCT profile_id FROM events WHERE type = 'track' AND name = 'Order Completed') b
             WHERE b.profile_id NOT IN (SELECT profile_id FROM events WHERE ts >= $now - INTERVAL 30 DAY AND ts <= $now)
               AND b.profile_id NOT IN (SELECT id FROM profiles WHERE merged_into IS NOT NULL)
            """,
        // Every attempt (a page with path "/"), its exclusion bound x (the first "/p/0" page at or
        // after it), each step's first match at or after the previous one (dropped past the window
        // or not before x), then each profile's best attempt.
        "funnel4": """
            WITH pg AS (SELECT e.profile_id, e.ts, jstr(e.props, 'path') AS path FROM events e
                         WHERE e.type = 'page' AND jstr(e.props, 'path') IN ('/', '/p/0')
                           AND e.profile_id NOT IN (SELECT id FROM profiles WHERE merged_into IS NOT NULL)),
            en AS (SELECT a.profile_id, a.t1, min(x.ts) AS x
                     FROM (SELECT DISTINCT profile_id, ts AS t1 FROM pg WHERE path = '/') a
                     LEFT JOIN pg x ON x.profile_id = a.profile_id AND x.path = '/p/0' AND x.ts >= a.t1
                    GROUP BY a.profile_id, a.t1),
            pv AS (SELECT profile_id, ts FROM events WHERE type = 'track' AND name = 'Product Viewed'),
            ac AS (SELECT profile_id, ts FROM events WHERE type = 'track' AND name = 'Added to Cart'),
            oc AS (SELECT profile_id, ts FROM events WHERE type = 'track' AND name = 'Order Completed'),
            m2 AS (SELECT en.profile_id, en.t1, en.x, min(pv.ts) AS m FROM en LEFT JOIN pv ON pv.profile_id = en.profile_id AND pv.ts >= en.t1
                    GROUP BY ALL),
            s2 AS (SELECT profile_id, t1, x, CASE WHEN m <= t1 + INTERVAL 7 DAY AND (x IS NULL OR m < x) THEN m END AS t2 FROM m2),
            m3 AS (SELECT s2.profile_id, s2.t1, s2.x, s2.t2, min(ac.ts) AS m FROM s2 LEFT JOIN ac ON ac.profile_id = s2.profile_id AND ac.ts >= s2.t2
                    GROUP BY ALL),
            s3 AS (SELECT profile_id, t1, x, t2, CASE WHEN m <= t1 + INTERVAL 7 DAY AND (x IS NULL OR m < x) THEN m END AS t3 FROM m3),
            m4 AS (SELECT s3.profile_id, s3.t1, s3.x, s3.t2, s3.t3, min(oc.ts) AS m FROM s3 LEFT JOIN oc ON oc.profile_id = s3.profile_id AND oc.ts >= s3.t3
                    GROUP BY ALL),
            s4 AS (SELECT profile_id, t1, t2, t3, CASE WHEN m <= t1 + INTERVAL 7 DAY AND (x IS NULL OR m < x) THEN m END AS t4 FROM m4),
            best AS (SELECT * FROM s4
                     QUALIFY row_number() OVER (PARTITION BY profile_id
                                                ORDER BY (t4 IS NOT NULL) DESC, (t3 IS NOT NULL) DESC, (t2 IS NOT NULL) DESC, t1) = 1),
            a AS (SELECT count(*) AS n1, count(t2) AS n2, count(t3) AS n3, count(t4) AS n4,
                         quantile_cont(epoch(t2) - epoch(t1), [0.5, 0.9]) AS d2,
                         quantile_cont(epoch(t3) - epoch(t2), [0.5, 0.9]) AS d3,
                         quantile_cont(epoch(t4) - epoch(t3), [0.5, 0.9]) AS d4
                    FROM best)
            SELECT s.step, s.event, false AS optional, s.profiles, s.profiles / nullif(s.previous, 0) AS from_previous,
                   s.profiles / nullif(a.n1, 0) AS from_first, s.d[1] AS median_time, s.d[2] AS p90_time
              FROM a, (VALUES (1, 'page', a.n1, NULL, NULL::DOUBLE[]), (2, 'Product Viewed', a.n2, a.n1, a.d2),
                              (3, 'Added to Cart', a.n3, a.n2, a.d3), (4, 'Order Completed', a.n4, a.n3, a.d4)) s(step, event, profiles, previous, d)
             ORDER BY s.step
            """,
        // clv = revenue (default settings); every live profile ranked by clv, descending, into the
        // default tiers 10/16/35/20/19%.
        "tiers": """
            WITH rv AS (SELECT profile_id,
                               sum(CASE WHEN name = 'Order Completed' THEN jnum(props, 'revenue') ELSE jnum(props, 'amount') END) AS clv
                          FROM events WHERE type = 'track' AND name IN ('Order Completed', 'purchase') GROUP BY profile_id),
            c AS (SELECT p.id, coalesce(rv.clv, 0) AS clv FROM profiles p LEFT JOIN rv ON rv.profile_id = p.id WHERE p.merged_into IS NULL),
            k AS (SELECT count(*) AS n, sum(clv) AS total FROM c),
            g AS (SELECT CASE WHEN r <= ceil(0.10 * k.n) THEN 1 WHEN r <= ceil(0.26 * k.n) THEN 2 WHEN r <= ceil(0.61 * k.n) THEN 3
                              WHEN r <= ceil(0.81 * k.n) THEN 4 ELSE 5 END AS o,
                         count(*) AS profiles, sum(clv) AS value, min(clv) AS lo, max(clv) AS hi
                    FROM (SELECT clv, row_number() OVER (ORDER BY clv DESC) AS r FROM c), k GROUP BY 1)
            SELECT t.tier, coalesce(g.profiles, 0) AS profiles, coalesce(g.profiles, 0) / nullif(k.n, 0) AS share,
                   coalesce(g.value, 0) AS value, coalesce(g.value, 0) / nullif(k.total, 0) AS value_share, g.lo AS min_clv, g.hi AS max_clv
              FROM k CROSS JOIN (VALUES (1, 'platinum'), (2, 'gold'), (3, 'silver'), (4, 'bronze'), (5, 'lead')) t(o, tier)
              LEFT JOIN g ON g.o = t.o
             ORDER BY t.o
            """,
        // The top 20% of the same ranking as tiers, and their share of all clv.
        "pareto": """
            WITH rv AS (SELECT profile_id,
                               sum(CASE WHEN name = 'Order Completed' THEN jnum(props, 'revenue') ELSE jnum(props, 'amount') END) AS clv
                          FROM events WHERE type = 'track' AND name IN ('Order Completed', 'purchase') GROUP BY profile_id),
            c AS (SELECT p.id, coalesce(rv.clv, 0) AS clv FROM profiles p LEFT JOIN rv ON rv.profile_id = p.id WHERE p.merged_into IS NULL),
            k AS (SELECT count(*) AS n, sum(clv) AS total, ceil(0.20 * count(*)) AS top FROM c),
            t AS (SELECT coalesce(sum(x.clv), 0) AS value
                    FROM (SELECT clv, row_number() OVER (ORDER BY clv DESC) AS r FROM c) x, k WHERE x.r <= k.top)
            SELECT 0.20 AS top, k.top AS profiles, t.value, k.total, t.value / nullif(k.total, 0) AS share FROM k, t
            """,
        // Customers (an order: a revenue event with a value above 0) per rfm cell, each score 1 + floor(5 s / n),
        // s the customers with a strictly smaller value; the other live profiles are the null cell.
        "rfm": """
            WITH o AS (SELECT profile_id, sum(v) AS revenue, count(*) FILTER (WHERE v > 0) AS orders, max(ts) FILTER (WHERE v > 0) AS last_order
                         FROM (SELECT profile_id, ts,
                                      CASE WHEN name = 'Order Completed' THEN jnum(props, 'revenue') ELSE jnum(props, 'amount') END AS v
                                 FROM events WHERE type = 'track' AND name IN ('Order Completed', 'purchase'))
                        WHERE profile_id NOT IN (SELECT id FROM profiles WHERE merged_into IS NOT NULL)
                        GROUP BY profile_id),
            c AS (SELECT * FROM o WHERE orders >= 1),
            n AS (SELECT count(*) AS n FROM c),
            s AS (SELECT CAST(1 + (5 * (rank() OVER (ORDER BY last_order) - 1)) // n.n AS VARCHAR)
                         || CAST(1 + (5 * (rank() OVER (ORDER BY orders) - 1)) // n.n AS VARCHAR)
                         || CAST(1 + (5 * (rank() OVER (ORDER BY revenue) - 1)) // n.n AS VARCHAR) AS rfm
                    FROM c, n),
            live AS (SELECT count(*) AS n FROM profiles WHERE merged_into IS NULL)
            SELECT rfm, count(*) AS n FROM s GROUP BY rfm
            UNION ALL SELECT NULL, live.n - n.n FROM live, n WHERE live.n - n.n > 0
            ORDER BY rfm NULLS LAST
            """,
        // The default stages, highest first: inspire (referral, or nps with score >= 9), retention
        // (last order within 90 days and first before 180), development (2+ orders), acquisition
        // (1 order), reach (any event); an order is a revenue event with a value above 0.
        "lifecycle": """
            WITH o AS (SELECT profile_id, count(*) AS orders, min(ts) AS first_order, max(ts) AS last_order FROM events
                        WHERE type = 'track' AND name IN ('Order Completed', 'purchase')
                          AND CASE WHEN name = 'Order Completed' THEN jnum(props, 'revenue') ELSE jnum(props, 'amount') END > 0
                        GROUP BY profile_id),
            i AS (SELECT DISTINCT profile_id FROM events
                   WHERE type = 'track' AND (name = 'referral' OR name = 'nps' AND jnum(props, 'score') >= 9)),
            r AS (SELECT DISTINCT profile_id FROM events),
            st AS (SELECT CASE WHEN i.profile_id IS NOT NULL THEN 5
                               WHEN o.last_order >= $now - INTERVAL 90 DAY AND o.first_order < $now - INTERVAL 180 DAY THEN 4
                               WHEN o.orders >= 2 THEN 3 WHEN o.orders >= 1 THEN 2 WHEN r.profile_id IS NOT NULL THEN 1 END AS k
                     FROM profiles p LEFT JOIN o ON o.profile_id = p.id LEFT JOIN i ON i.profile_id = p.id LEFT JOIN r ON r.profile_id = p.id
                    WHERE p.merged_into IS NULL),
            s AS (SELECT v.k, v.stage, count(st.k) AS profiles FROM (VALUES (1, 'reach'), (2, 'acquisition'), (3, 'development'),
                         (4, 'retention'), (5, 'inspire')) v(k, stage) LEFT JOIN st ON st.k = v.k GROUP BY v.k, v.stage),
            c AS (SELECT k, stage, profiles, sum(profiles) OVER (ORDER BY k DESC) AS reached FROM s)
            SELECT stage, profiles, reached,
                   CASE WHEN k < 5 THEN lag(reached) OVER (ORDER BY k DESC) / nullif(reached, 0) END AS conversion
              FROM c ORDER BY k
            """,
        // Cohorts by the UTC month of each customer's first order; `cohort` in epoch seconds.
        "retention": """
            WITH om AS (SELECT DISTINCT profile_id, date_trunc('month', ts) AS m FROM events
                         WHERE type = 'track' AND name IN ('Order Completed', 'purchase')
                           AND CASE WHEN name = 'Order Completed' THEN jnum(props, 'revenue') ELSE jnum(props, 'amount') END > 0
                           AND profile_id NOT IN (SELECT id FROM profiles WHERE merged_into IS NOT NULL)),
            x AS (SELECT m, min(m) OVER (PARTITION BY profile_id) AS cohort FROM om),
            cm AS (SELECT cohort, m, count(*) AS n FROM x GROUP BY cohort, m),
            c AS (SELECT cohort, sum(n) FILTER (WHERE m = cohort) AS customers,
                         datediff('month', cohort, date_trunc('month', $now)) AS last FROM cm GROUP BY cohort)
            SELECT epoch(c.cohort) AS cohort, p.period, c.customers, coalesce(cm.n, 0) AS active, coalesce(cm.n, 0) / c.customers AS retention
              FROM c CROSS JOIN LATERAL (SELECT unnest(range(0, c.last::BIGINT + 1)) AS period) p
              LEFT JOIN cm ON cm.cohort = c.cohort AND cm.m = c.cohort + to_months(p.period::INTEGER)
             ORDER BY c.cohort, p.period
            """,
        // Buttle's five stages, each from whole scans: clv, orders and order dates per live profile;
        // the tier ranking; identifiers, trait keys and distinct sources per profile; the source of
        // each profile's first event; campaigns; and the lifecycle stages as in `lifecycle`.
        "value_chain": """
            WITH live AS (SELECT id, traits FROM profiles WHERE merged_into IS NULL),
            ev AS (SELECT e.profile_id, e.ts, e.message_id, e.source, e.type = 'track' AND e.name IN ('Order Completed', 'purchase') AS rev,
                          CASE WHEN e.type = 'track' AND e.name = 'Order Completed' THEN jnum(e.props, 'revenue')
                               WHEN e.type = 'track' AND e.name = 'purchase' THEN jnum(e.props, 'amount') END AS v,
                          coalesce(jstr(e.props, 'campaign'),
                                   CASE WHEN json_type(e.context, '$.campaign.name') = 'VARCHAR'
                                        THEN json_extract_string(e.context, '$.campaign.name') END) AS campaign,
                          e.type = 'track' AND (e.name = 'referral' OR e.name = 'nps' AND jnum(e.props, 'score') >= 9) AS inspires
                     FROM events e WHERE e.profile_id IN (SELECT id FROM live)),
            pe AS (SELECT profile_id, coalesce(sum(v) FILTER (WHERE rev), 0) AS clv, count(*) FILTER (WHERE rev AND v > 0) AS orders,
                          min(ts) FILTER (WHERE rev AND v > 0) AS first_order, max(ts) FILTER (WHERE rev AND v > 0) AS last_order,
                          bool_or(inspires) AS inspire, count(DISTINCT source) AS sources,
                          first(source ORDER BY ts, message_id) AS acquired
                     FROM ev GROUP BY profile_id),
            c AS (SELECT l.id, coalesce(pe.clv, 0) AS clv, coalesce(pe.orders, 0) AS orders, pe.first_order, pe.last_order,
                         coalesce(pe.inspire, false) AS inspire, coalesce(pe.sources, 0) AS sources, pe.acquired, pe.profile_id IS NOT NULL AS active
                    FROM live l LEFT JOIN pe ON pe.profile_id = l.id),
            k AS (SELECT count(*) AS n, sum(clv) AS total, count(*) FILTER (WHERE orders >= 1) AS customers, sum(sources) AS sources FROM c),
            ranked AS (SELECT clv, row_number() OVER (ORDER BY clv DESC) AS r FROM c),
            tg AS (SELECT CASE WHEN r <= ceil(0.10 * k.n) THEN 1 WHEN r <= ceil(0.26 * k.n) THEN 2 WHEN r <= ceil(0.61 * k.n) THEN 3
                               WHEN r <= ceil(0.81 * k.n) THEN 4 ELSE 5 END AS o, count(*) AS n, sum(clv) AS value,
                          sum(clv) FILTER (WHERE r <= ceil(0.20 * k.n)) AS top
                     FROM ranked, k GROUP BY 1),
            tiers AS (SELECT t.o, t.tier, coalesce(tg.n, 0) AS profiles, coalesce(tg.value, 0) AS value
                        FROM (VALUES (1, 'platinum'), (2, 'gold'), (3, 'silver'), (4, 'bronze'), (5, 'lead')) t(o, tier) LEFT JOIN tg ON tg.o = t.o),
            st AS (SELECT CASE WHEN inspire THEN 5 WHEN last_order >= $now - INTERVAL 90 DAY AND first_order < $now - INTERVAL 180 DAY THEN 4
                               WHEN orders >= 2 THEN 3 WHEN orders >= 1 THEN 2 WHEN active THEN 1 END AS k FROM c),
            lc AS (SELECT v.k, v.stage, count(st.k) AS profiles FROM (VALUES (1, 'reach'), (2, 'acquisition'), (3, 'development'),
                          (4, 'retention'), (5, 'inspire')) v(k, stage) LEFT JOIN st ON st.k = v.k GROUP BY v.k, v.stage),
            lr AS (SELECT k, stage, profiles, sum(profiles) OVER (ORDER BY k DESC) AS reached FROM lc),
            net AS (SELECT acquired, count(*) AS profiles, count(*) FILTER (WHERE orders >= 1) AS customers, sum(clv) AS value FROM c GROUP BY acquired),
            camp AS (SELECT campaign, count(DISTINCT profile_id) AS profiles, count(*) AS events, count(*) FILTER (WHERE rev AND v > 0) AS orders,
                            coalesce(sum(v) FILTER (WHERE rev), 0) AS revenue
                       FROM ev WHERE campaign IS NOT NULL GROUP BY campaign),
            rows AS (
              SELECT 1 AS a, NULL::VARCHAR AS sk, 1 AS b, 'portfolio' AS stage, 'profiles' AS measure, NULL::VARCHAR AS key, k.n::DOUBLE AS value FROM k
              UNION ALL SELECT 1, NULL, 2, 'portfolio', 'customers', NULL, k.customers FROM k
              UNION ALL SELECT 1, NULL, 3, 'portfolio', 'clv_total', NULL, k.total FROM k
              UNION ALL SELECT 1, NULL, 4, 'portfolio', 'clv_mean', NULL, k.total / nullif(k.n, 0) FROM k
              UNION ALL SELECT 1, NULL, 5, 'portfolio', 'top20_share', NULL, (SELECT coalesce(sum(top), 0) FROM tg) / nullif(k.total, 0) FROM k
              UNION ALL SELECT 1, NULL, 4 + 2 * o, 'portfolio', 'tier_profiles', tier, profiles FROM tiers
              UNION ALL SELECT 1, NULL, 5 + 2 * o, 'portfolio', 'tier_value', tier, value FROM tiers
              UNION ALL SELECT 2, NULL, 1, 'intimacy', 'identifiers_per_profile', NULL,
                               (SELECT count(*) FROM identities WHERE profile_id IN (SELECT id FROM live)) / nullif(k.n, 0) FROM k
              UNION ALL SELECT 2, NULL, 2, 'intimacy', 'traits_per_profile', NULL,
                               (SELECT sum(len(json_keys(traits))) FROM live) / nullif(k.n, 0) FROM k
              UNION ALL SELECT 2, NULL, 3, 'intimacy', 'sources_per_profile', NULL, k.sources / nullif(k.n, 0) FROM k
              UNION ALL SELECT 3, acquired, 1, 'network', 'profiles', acquired, profiles FROM net
              UNION ALL SELECT 3, acquired, 2, 'network', 'customers', acquired, customers FROM net
              UNION ALL SELECT 3, acquired, 3, 'network', 'value', acquired, value FROM net
              UNION ALL SELECT 4, campaign, 1, 'value proposition', 'profiles', campaign, profiles FROM camp
              UNION ALL SELECT 4, campaign, 2, 'value proposition', 'events', campaign, events FROM camp
              UNION ALL SELECT 4, campaign, 3, 'value proposition', 'orders', campaign, orders FROM camp
              UNION ALL SELECT 4, campaign, 4, 'value proposition', 'revenue', campaign, revenue FROM camp
              UNION ALL SELECT 5, NULL, 2 * k, 'lifecycle', 'profiles', stage, profiles FROM lr
              UNION ALL SELECT 5, NULL, 2 * k + 1, 'lifecycle', 'conversion', stage,
                               CASE WHEN k < 5 THEN (SELECT n.reached FROM lr n WHERE n.k = lr.k + 1) / nullif(reached, 0) END FROM lr)
            SELECT stage, measure, key, value FROM rows ORDER BY a, sk ASC NULLS LAST, b
            """,
    ]
}
