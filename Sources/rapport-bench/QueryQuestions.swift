/// The query benchmark's questions: each in RQL and as the best SQL written by hand.
struct QueryQuestion: Sendable {
    let name: String
    let rql: String
    /// Runs in the tenant's schema (search_path set); `$1` is the query's "now" (timestamptz).
    let sql: String

    /// The same question in DuckDB SQL (`QueryQuestion.duckdb`), nil where not written yet.
    var duckdb: String? { Self.duckdb[name] }
}

extension QueryQuestion {
    // The hand SQL follows Grammar/README.md exactly: live profiles only (merged_into IS NULL;
    // events and identifiers always belong to a live profile, and every profile_id names a
    // profile, so "live" is checked as "not among the merged", a far smaller set); a trait or
    // property of the wrong JSON type reads as null; `X` is a track event named X; a sum of
    // nothing is 0; text ordered by code point (COLLATE "C"), nulls last; ties by profile id.
    // `$1` arrives as text, hence `$1::timestamptz`. Tuned for these indexes (proposed for a tenant
    // migration, so that the compiled SQL has them too):
    //   CREATE INDEX events_track_name_profile ON events (name, profile_id, ts) INCLUDE (props) WHERE type = 'track';
    //   CREATE INDEX events_name_ts_props ON events (name, ts) INCLUDE (profile_id, type, props) WHERE name IS NOT NULL;
    //   CREATE INDEX events_ts_brin ON events USING brin (ts) WITH (pages_per_range = 32);
    //   CREATE INDEX profiles_merged ON profiles (id) WHERE merged_into IS NOT NULL;
    //   CREATE INDEX profiles_traits_gin ON profiles USING gin (traits jsonb_path_ops) WHERE merged_into IS NULL;
    static let all: [QueryQuestion] = [
        // Traits as JSON containment, so the GIN index on live profiles' traits can answer it.
        QueryQuestion(
            name: "trait_filter",
            rql: #"count profiles where plan = "pro" and country in ("DE", "FR")"#,
            sql: """
                SELECT count(*) AS count
                FROM profiles
                WHERE merged_into IS NULL
                  AND traits @> '{"plan": "pro"}'
                  AND (traits @> '{"country": "DE"}' OR traits @> '{"country": "FR"}')
                """),
        // Default columns (id, latest user_id, latest email); the literal normalised as ingestion does.
        QueryQuestion(
            name: "identity_lookup",
            rql: #"profiles | where email = "Person4245@Example.com""#,
            sql: """
                SELECT p.id,
                       (SELECT i.value FROM identities i
                         WHERE i.profile_id = p.id AND i.kind = 'user_id'
                         ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS user_id,
                       (SELECT i.value FROM identities i
                         WHERE i.profile_id = p.id AND i.kind = 'email'
                         ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS email
                FROM profiles p
                WHERE p.merged_into IS NULL
                  AND p.id IN (SELECT profile_id FROM identities WHERE kind = 'email' AND value = 'person4245@example.com')
                ORDER BY p.id
                """),
        // Grouped straight off the track-events index; live = not in the (small) set of merged profiles.
        QueryQuestion(
            name: "frequent_buyers",
            rql: #"count profiles where count(`Order Completed` within 30 days) >= 2"#,
            sql: """
                SELECT count(*) AS count
                FROM (SELECT e.profile_id
                        FROM events e
                       WHERE e.type = 'track' AND e.name = 'Order Completed'
                         AND e.ts >= $1::timestamptz - interval '30 days' AND e.ts <= $1::timestamptz
                       GROUP BY e.profile_id
                      HAVING count(*) >= 2) b
                WHERE NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = b.profile_id AND m.merged_into IS NOT NULL)
                """),
        // Top-N over the profiles with a positive sum; the other profiles (sum 0) are read only if
        // fewer than 10 have one.
        QueryQuestion(
            name: "spring_top",
            rql: #"profiles | select email, spring = sum(`Order Completed`.revenue where campaign = "spring" since 2024-02-01) | order by spring desc | limit 10"#,
            sql: """
                WITH s AS NOT MATERIALIZED (
                  SELECT e.profile_id AS id,
                         coalesce(sum(CASE WHEN jsonb_typeof(e.props -> 'revenue') = 'number'
                                           THEN (e.props ->> 'revenue')::numeric END), 0) AS spring
                    FROM events e
                   WHERE e.type = 'track' AND e.name = 'Order Completed'
                     AND e.ts >= '2024-02-01T00:00:00Z'
                     AND e.props -> 'campaign' = '"spring"'
                   GROUP BY e.profile_id
                ), top AS MATERIALIZED (
                  SELECT s.id, s.spring
                    FROM (SELECT * FROM s WHERE s.spring > 0 ORDER BY s.spring DESC, s.id) s
                   WHERE NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = s.id AND m.merged_into IS NOT NULL)
                   LIMIT 10
                ), rest AS MATERIALIZED (
                  -- Read only when fewer than 10 live profiles have a positive sum: the best of the others.
                  SELECT p.id, coalesce(s.spring, 0) AS spring
                    FROM profiles p LEFT JOIN s ON s.id = p.id
                   WHERE p.merged_into IS NULL AND coalesce(s.spring, 0) <= 0
                   ORDER BY 2 DESC, p.id
                   LIMIT 10
                )
                SELECT (SELECT i.value FROM identities i
                         WHERE i.profile_id = r.id AND i.kind = 'email'
                         ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS email,
                       r.spring
                  FROM (SELECT * FROM top
                        UNION ALL
                        SELECT * FROM rest WHERE (SELECT count(*) FROM top) < 10) r
                 ORDER BY r.spring DESC, r.id
                 LIMIT 10
                """),
        QueryQuestion(
            name: "abandoned_carts",
            rql: #"count profiles where did `Added to Cart` within 7 days and not did `Order Completed` within 7 days"#,
            sql: """
                SELECT count(*) AS count
                FROM (SELECT DISTINCT e.profile_id
                        FROM events e
                       WHERE e.type = 'track' AND e.name = 'Added to Cart'
                         AND e.ts >= $1::timestamptz - interval '7 days' AND e.ts <= $1::timestamptz) c
                WHERE NOT EXISTS (SELECT 1 FROM events o
                                   WHERE o.profile_id = c.profile_id
                                     AND o.type = 'track' AND o.name = 'Order Completed'
                                     AND o.ts >= $1::timestamptz - interval '7 days' AND o.ts <= $1::timestamptz)
                  AND NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = c.profile_id AND m.merged_into IS NOT NULL)
                """),
        // As `spring_top`: the others (0 orders, 0 spent) are read only if fewer than 20 spent anything.
        QueryQuestion(
            name: "top_spenders",
            rql: #"profiles | select email, orders = count(`Order Completed`), spent = sum(`Order Completed`.revenue) | order by spent desc | limit 20"#,
            sql: """
                WITH o AS NOT MATERIALIZED (
                  SELECT e.profile_id AS id, count(*) AS orders,
                         coalesce(sum(CASE WHEN jsonb_typeof(e.props -> 'revenue') = 'number'
                                           THEN (e.props ->> 'revenue')::numeric END), 0) AS spent
                    FROM events e
                   WHERE e.type = 'track' AND e.name = 'Order Completed'
                   GROUP BY e.profile_id
                ), top AS MATERIALIZED (
                  SELECT o.id, o.orders, o.spent
                    FROM o
                   WHERE o.spent > 0
                     AND NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = o.id AND m.merged_into IS NOT NULL)
                   ORDER BY o.spent DESC, o.id
                   LIMIT 20
                ), rest AS MATERIALIZED (
                  -- Read only when fewer than 20 live profiles spent more than 0: the best of the others.
                  SELECT p.id, coalesce(o.orders, 0) AS orders, coalesce(o.spent, 0) AS spent
                    FROM profiles p LEFT JOIN o ON o.id = p.id
                   WHERE p.merged_into IS NULL AND coalesce(o.spent, 0) <= 0
                   ORDER BY 3 DESC, p.id
                   LIMIT 20
                )
                SELECT (SELECT i.value FROM identities i
                         WHERE i.profile_id = r.id AND i.kind = 'email'
                         ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS email,
                       r.orders, r.spent
                  FROM (SELECT * FROM top
                        UNION ALL
                        SELECT * FROM rest WHERE (SELECT count(*) FROM top) < 20) r
                 ORDER BY r.spent DESC, r.id
                 LIMIT 20
                """),
        // With `segment buyers = profiles | where did `Order Completed``
        // and `segment big = segment buyers | where sum(`Order Completed`.revenue) > 500` (defined by
        // the benchmark); a sum over 500 implies an order, so `did` needs no pass of its own.
        QueryQuestion(
            name: "segment_big",
            rql: #"count segment big"#,
            sql: """
                SELECT count(*) AS count
                FROM (SELECT e.profile_id
                        FROM events e
                       WHERE e.type = 'track' AND e.name = 'Order Completed'
                       GROUP BY e.profile_id
                      HAVING coalesce(sum(CASE WHEN jsonb_typeof(e.props -> 'revenue') = 'number'
                                               THEN (e.props ->> 'revenue')::numeric END), 0) > 500) b
                WHERE NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = b.profile_id AND m.merged_into IS NOT NULL)
                """),
        // `big` inlined; the team's profiles are joined before the sums, so only their orders are added.
        QueryQuestion(
            name: "segment_big_team",
            rql: #"count profiles where in big and plan = "team""#,
            sql: """
                SELECT count(*) AS count
                FROM (SELECT e.profile_id
                        FROM events e
                        JOIN profiles p ON p.id = e.profile_id
                       WHERE e.type = 'track' AND e.name = 'Order Completed'
                         AND p.merged_into IS NULL
                         AND p.traits @> '{"plan": "team"}'
                       GROUP BY e.profile_id
                      HAVING coalesce(sum(CASE WHEN jsonb_typeof(e.props -> 'revenue') = 'number'
                                               THEN (e.props ->> 'revenue')::numeric END), 0) > 500) b
                """),
        QueryQuestion(
            name: "plan_country",
            rql: #"profiles | group by plan, country select n = count()"#,
            sql: """
                SELECT g.plan, g.country, g.n
                  FROM (SELECT CASE WHEN jsonb_typeof(traits -> 'plan') = 'string' THEN traits ->> 'plan' END AS plan,
                               CASE WHEN jsonb_typeof(traits -> 'country') = 'string' THEN traits ->> 'country' END AS country,
                               count(*) AS n
                          FROM profiles
                         WHERE merged_into IS NULL
                         GROUP BY 1, 2) g
                 ORDER BY g.plan COLLATE "C", g.country COLLATE "C"
                """),
        // The group key's column is named `campaign` here; the benchmark compares values, not names.
        QueryQuestion(
            name: "campaign_revenue",
            rql: #"events | where name = "Order Completed" and ts within 30 days | group by props.campaign select n = count(), revenue = sum(props.revenue)"#,
            sql: """
                SELECT g.campaign, g.n, g.revenue
                  FROM (SELECT CASE WHEN jsonb_typeof(props -> 'campaign') = 'string' THEN props ->> 'campaign' END AS campaign,
                               count(*) AS n,
                               coalesce(sum(CASE WHEN jsonb_typeof(props -> 'revenue') = 'number'
                                                 THEN (props ->> 'revenue')::numeric END), 0) AS revenue
                          FROM events
                         WHERE name = 'Order Completed'
                           AND ts >= $1::timestamptz - interval '30 days' AND ts <= $1::timestamptz
                         GROUP BY 1) g
                 ORDER BY g.campaign COLLATE "C"
                """),
        // Ties in `views` ordered by the group key.
        QueryQuestion(
            name: "top_skus",
            rql: #"events | where name = "Product Viewed" and ts within 7 days | group by props.sku select views = count() | order by views desc | limit 10"#,
            sql: """
                SELECT g.sku, g.views
                  FROM (SELECT CASE WHEN jsonb_typeof(props -> 'sku') = 'string' THEN props ->> 'sku' END AS sku,
                               count(*) AS views
                          FROM events
                         WHERE name = 'Product Viewed'
                           AND ts >= $1::timestamptz - interval '7 days' AND ts <= $1::timestamptz
                         GROUP BY 1) g
                 ORDER BY g.views DESC, g.sku COLLATE "C"
                 LIMIT 10
                """),
        // No `select`: the one aggregate is `count`. The BRIN index on `ts` finds the week's pages.
        QueryQuestion(
            name: "page_views",
            rql: #"events | where type = "page" and ts within 7 days | group by name"#,
            sql: """
                SELECT name, count(*) AS count
                  FROM events
                 WHERE type = 'page'
                   AND ts >= $1::timestamptz - interval '7 days' AND ts <= $1::timestamptz
                 GROUP BY name
                 ORDER BY name COLLATE "C"
                """),
        // Ties in `last_login_day` (most rows) ordered by profile id.
        QueryQuestion(
            name: "pro_recent_logins",
            rql: #"profiles | where plan = "pro" and last_login_day >= 85 | select email, country, last_login_day | order by last_login_day desc | limit 50"#,
            sql: """
                SELECT (SELECT i.value FROM identities i
                         WHERE i.profile_id = t.id AND i.kind = 'email'
                         ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS email,
                       t.country, t.last_login_day
                  FROM (SELECT p.id,
                               CASE WHEN jsonb_typeof(p.traits -> 'country') = 'string' THEN p.traits ->> 'country' END AS country,
                               CASE WHEN jsonb_typeof(p.traits -> 'last_login_day') = 'number'
                                    THEN (p.traits ->> 'last_login_day')::numeric END AS last_login_day
                          FROM profiles p
                         WHERE p.merged_into IS NULL
                           AND p.traits @> '{"plan": "pro"}'
                           AND CASE WHEN jsonb_typeof(p.traits -> 'last_login_day') = 'number'
                                    THEN (p.traits ->> 'last_login_day')::numeric END >= 85
                         ORDER BY 3 DESC, p.id
                         LIMIT 50) t
                 ORDER BY t.last_login_day DESC, t.id
                """),
        QueryQuestion(
            name: "lapsed_buyers",
            rql: #"count profiles where did `Order Completed` and not did any within 30 days"#,
            sql: """
                SELECT count(*) AS count
                FROM (SELECT DISTINCT e.profile_id
                        FROM events e
                       WHERE e.type = 'track' AND e.name = 'Order Completed') b
                WHERE NOT EXISTS (SELECT 1 FROM events a
                                   WHERE a.profile_id = b.profile_id
                                     AND a.ts >= $1::timestamptz - interval '30 days' AND a.ts <= $1::timestamptz)
                  AND NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = b.profile_id AND m.merged_into IS NOT NULL)
                """),
    ]
}
