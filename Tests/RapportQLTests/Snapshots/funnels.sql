-- save funnel checkout = product_viewed -> added_to_cart within 1 day
                  -> optional coupon_applied -> order_completed
                  within 7 days exclude refund where amount > 0

-- save funnel activation = signup -> login within 7d -> purchase where amount >= 20 within 30 days
                    exclude refund order sequential by plan attribute first

-- save funnel quick_checkout = added_to_cart -> order_completed within 1 hour order strict by country

-- save funnel advocacy = nps where score >= 9 -> referral order any within 4 weeks by country attribute step 1

-- save funnel first_try = product_viewed -> order_completed within 1 day entry first

-- save funnel legacy = product_viewed -> `Order Completed` within 2 days by newsletter attribute last

-- show funnels

-- columns: step number, event text, optional boolean, profiles number, from_previous number, from_first number, median_time duration, p90_time duration
-- $1 = text "product_viewed"
-- $2 = text "refund"
-- $3 = text "amount"
-- $4 = bigint 0
-- $5 = interval 7 days
-- $6 = interval 1 day
-- $7 = text "added_to_cart"
-- $8 = text "coupon_applied"
-- $9 = text "order_completed"
SELECT v.step::text, v.event, v.optional::text, v.profiles::text, v.from_previous::text, v.from_first::text, extract(epoch FROM (v.median_time))::text, extract(epoch FROM (v.p90_time))::text
FROM (SELECT count(*) FILTER (WHERE f.r1) AS n1, count(*) FILTER (WHERE f.r2) AS n2, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY f.d2) FILTER (WHERE f.r2) AS q2, count(*) FILTER (WHERE f.r3) AS n3, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY f.d3) FILTER (WHERE f.r3) AS q3, count(*) FILTER (WHERE f.r4) AS n4, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY f.d4) FILTER (WHERE f.r4) AS q4 FROM (SELECT profile_id, r1, r2, r3, r4, d1, d2, d3, d4, last_step FROM (SELECT DISTINCT ON (f.profile_id) f.* FROM (SELECT s1.profile_id AS profile_id, TRUE AS r1, (s2.t IS NOT NULL AND (s1.x IS NULL OR s2.t < s1.x)) AS r2, ((s3.t IS NOT NULL AND (s1.x IS NULL OR s3.t < s1.x)) AND (NOT (s4.t IS NOT NULL AND (s1.x IS NULL OR s4.t < s1.x)) OR s3.t <= s4.t)) AS r3, (s4.t IS NOT NULL AND (s1.x IS NULL OR s4.t < s1.x)) AS r4, NULL::interval AS d1, s2.t - s1.t AS d2, s3.t - s2.t AS d3, s4.t - s2.t AS d4, CASE WHEN (s4.t IS NOT NULL AND (s1.x IS NULL OR s4.t < s1.x)) THEN 4 WHEN ((s3.t IS NOT NULL AND (s1.x IS NULL OR s3.t < s1.x)) AND (NOT (s4.t IS NOT NULL AND (s1.x IS NULL OR s4.t < s1.x)) OR s3.t <= s4.t)) THEN 3 WHEN (s2.t IS NOT NULL AND (s1.x IS NULL OR s2.t < s1.x)) THEN 2 WHEN TRUE THEN 1 END AS last_step, s1.t AS entry_t
FROM (SELECT g.profile_id, a.t, CASE WHEN g.xs IS NOT NULL THEN (SELECT min(u) FROM unnest(g.xs) u WHERE u >= a.t) END AS x FROM (SELECT e.profile_id, array_agg(e.ts) FILTER (WHERE e.type = 'track' AND e.name = $1) AS ts, array_agg(e.ts) FILTER (WHERE (e.type = 'track' AND e.name = $2 AND ((CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END) > $4::bigint))) AS xs FROM events e WHERE ((e.type = 'track' AND e.name = $1) OR ((e.type = 'track' AND e.name = $2 AND ((CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END) > $4::bigint)))) AND NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = e.profile_id AND m.merged_into IS NOT NULL) GROUP BY e.profile_id) g CROSS JOIN LATERAL unnest(g.ts) AS a(t) OFFSET 0) s1
LEFT JOIN LATERAL (SELECT min(e.ts) AS t FROM events e WHERE e.profile_id = s1.profile_id AND e.type = 'track' AND e.name = $7 AND s1.t IS NOT NULL AND e.ts >= s1.t HAVING min(e.ts) <= s1.t + $5::interval AND min(e.ts) <= s1.t + $6::interval AND (s1.x IS NULL OR min(e.ts) < s1.x)) s2 ON TRUE
LEFT JOIN LATERAL (SELECT min(e.ts) AS t FROM events e WHERE e.profile_id = s1.profile_id AND e.type = 'track' AND e.name = $8 AND s2.t IS NOT NULL AND e.ts >= s2.t HAVING min(e.ts) <= s1.t + $5::interval AND (s1.x IS NULL OR min(e.ts) < s1.x)) s3 ON TRUE
LEFT JOIN LATERAL (SELECT min(e.ts) AS t FROM events e WHERE e.profile_id = s1.profile_id AND e.type = 'track' AND e.name = $9 AND s2.t IS NOT NULL AND e.ts >= s2.t HAVING min(e.ts) <= s1.t + $5::interval AND (s1.x IS NULL OR min(e.ts) < s1.x)) s4 ON TRUE) f ORDER BY f.profile_id, f.last_step DESC NULLS LAST, f.entry_t) best) f) g
CROSS JOIN LATERAL (VALUES (1, $1, FALSE, g.n1, NULL::numeric, g.n1::numeric / NULLIF(g.n1, 0), NULL::interval, NULL::interval), (2, $7, FALSE, g.n2, g.n2::numeric / NULLIF(g.n1, 0), g.n2::numeric / NULLIF(g.n1, 0), g.q2[1], g.q2[2]), (3, $8, TRUE, g.n3, g.n3::numeric / NULLIF(g.n2, 0), g.n3::numeric / NULLIF(g.n1, 0), g.q3[1], g.q3[2]), (4, $9, FALSE, g.n4, g.n4::numeric / NULLIF(g.n2, 0), g.n4::numeric / NULLIF(g.n1, 0), g.q4[1], g.q4[2])) v(step, event, optional, profiles, from_previous, from_first, median_time, p90_time)
ORDER BY v.step;

-- columns: by text, step number, event text, optional boolean, profiles number, from_previous number, from_first number, median_time duration, p90_time duration
-- $1 = text "product_viewed"
-- $2 = timestamptz 2024-01-01T00:00:00Z
-- $3 = text "refund"
-- $4 = text "amount"
-- $5 = bigint 0
-- $6 = interval 7 days
-- $7 = interval 1 day
-- $8 = text "added_to_cart"
-- $9 = text "coupon_applied"
-- $10 = text "order_completed"
-- $11 = text "plan"
SELECT g.b AS c0, v.step::text, v.event, v.optional::text, v.profiles::text, v.from_previous::text, v.from_first::text, extract(epoch FROM (v.median_time))::text, extract(epoch FROM (v.p90_time))::text
FROM (SELECT f.b, count(*) FILTER (WHERE f.r1) AS n1, count(*) FILTER (WHERE f.r2) AS n2, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY f.d2) FILTER (WHERE f.r2) AS q2, count(*) FILTER (WHERE f.r3) AS n3, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY f.d3) FILTER (WHERE f.r3) AS q3, count(*) FILTER (WHERE f.r4) AS n4, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY f.d4) FILTER (WHERE f.r4) AS q4 FROM (SELECT profile_id, b, r1, r2, r3, r4, d1, d2, d3, d4, last_step FROM (SELECT DISTINCT ON (f.profile_id) f.* FROM (SELECT s1.profile_id AS profile_id, pb.c2 AS b, TRUE AS r1, (s2.t IS NOT NULL AND (s1.x IS NULL OR s2.t < s1.x)) AS r2, ((s3.t IS NOT NULL AND (s1.x IS NULL OR s3.t < s1.x)) AND (NOT (s4.t IS NOT NULL AND (s1.x IS NULL OR s4.t < s1.x)) OR s3.t <= s4.t)) AS r3, (s4.t IS NOT NULL AND (s1.x IS NULL OR s4.t < s1.x)) AS r4, NULL::interval AS d1, s2.t - s1.t AS d2, s3.t - s2.t AS d3, s4.t - s2.t AS d4, CASE WHEN (s4.t IS NOT NULL AND (s1.x IS NULL OR s4.t < s1.x)) THEN 4 WHEN ((s3.t IS NOT NULL AND (s1.x IS NULL OR s3.t < s1.x)) AND (NOT (s4.t IS NOT NULL AND (s1.x IS NULL OR s4.t < s1.x)) OR s3.t <= s4.t)) THEN 3 WHEN (s2.t IS NOT NULL AND (s1.x IS NULL OR s2.t < s1.x)) THEN 2 WHEN TRUE THEN 1 END AS last_step, s1.t AS entry_t
FROM (SELECT g.profile_id, a.t, CASE WHEN g.xs IS NOT NULL THEN (SELECT min(u) FROM unnest(g.xs) u WHERE u >= a.t) END AS x FROM (SELECT e.profile_id, array_agg(e.ts) FILTER (WHERE e.type = 'track' AND e.name = $1 AND e.ts >= $2::timestamptz) AS ts, array_agg(e.ts) FILTER (WHERE (e.type = 'track' AND e.name = $3 AND ((CASE WHEN jsonb_typeof(e.props -> $4) = 'number' THEN (e.props ->> $4)::numeric END) > $5::bigint))) AS xs FROM events e WHERE ((e.type = 'track' AND e.name = $1 AND e.ts >= $2::timestamptz) OR ((e.type = 'track' AND e.name = $3 AND ((CASE WHEN jsonb_typeof(e.props -> $4) = 'number' THEN (e.props ->> $4)::numeric END) > $5::bigint)))) AND NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = e.profile_id AND m.merged_into IS NOT NULL) GROUP BY e.profile_id) g CROSS JOIN LATERAL unnest(g.ts) AS a(t) OFFSET 0) s1
LEFT JOIN LATERAL (SELECT min(e.ts) AS t FROM events e WHERE e.profile_id = s1.profile_id AND e.type = 'track' AND e.name = $8 AND s1.t IS NOT NULL AND e.ts >= s1.t HAVING min(e.ts) <= s1.t + $6::interval AND min(e.ts) <= s1.t + $7::interval AND (s1.x IS NULL OR min(e.ts) < s1.x)) s2 ON TRUE
LEFT JOIN LATERAL (SELECT min(e.ts) AS t FROM events e WHERE e.profile_id = s1.profile_id AND e.type = 'track' AND e.name = $9 AND s2.t IS NOT NULL AND e.ts >= s2.t HAVING min(e.ts) <= s1.t + $6::interval AND (s1.x IS NULL OR min(e.ts) < s1.x)) s3 ON TRUE
LEFT JOIN LATERAL (SELECT min(e.ts) AS t FROM events e WHERE e.profile_id = s1.profile_id AND e.type = 'track' AND e.name = $10 AND s2.t IS NOT NULL AND e.ts >= s2.t HAVING min(e.ts) <= s1.t + $6::interval AND (s1.x IS NULL OR min(e.ts) < s1.x)) s4 ON TRUE
LEFT JOIN (SELECT p.id AS c1, (CASE WHEN jsonb_typeof(p.traits -> $11) = 'string' THEN p.traits ->> $11 END) AS c2, p.id AS t1
FROM profiles p
WHERE p.merged_into IS NULL) pb ON pb.c1 = s1.profile_id) f ORDER BY f.profile_id, f.last_step DESC NULLS LAST, f.entry_t) best) f GROUP BY f.b) g
CROSS JOIN LATERAL (VALUES (1, $1, FALSE, g.n1, NULL::numeric, g.n1::numeric / NULLIF(g.n1, 0), NULL::interval, NULL::interval), (2, $8, FALSE, g.n2, g.n2::numeric / NULLIF(g.n1, 0), g.n2::numeric / NULLIF(g.n1, 0), g.q2[1], g.q2[2]), (3, $9, TRUE, g.n3, g.n3::numeric / NULLIF(g.n2, 0), g.n3::numeric / NULLIF(g.n1, 0), g.q3[1], g.q3[2]), (4, $10, FALSE, g.n4, g.n4::numeric / NULLIF(g.n2, 0), g.n4::numeric / NULLIF(g.n1, 0), g.q4[1], g.q4[2])) v(step, event, optional, profiles, from_previous, from_first, median_time, p90_time)
ORDER BY g.b COLLATE "C" NULLS LAST, v.step;

-- columns: by text, step number, event text, optional boolean, profiles number, from_previous number, from_first number, median_time duration, p90_time duration
-- $1 = text "signup"
-- $2 = timestamptz 2024-01-01T00:00:00Z
-- $3 = timestamptz 2024-06-30T00:00:00Z
-- $4 = text "refund"
-- $5 = interval 30 days
-- $6 = interval 7 days
-- $7 = text "login"
-- $8 = text "purchase"
-- $9 = text "amount"
-- $10 = bigint 20
-- $11 = text "plan"
SELECT g.b AS c0, v.step::text, v.event, v.optional::text, v.profiles::text, v.from_previous::text, v.from_first::text, extract(epoch FROM (v.median_time))::text, extract(epoch FROM (v.p90_time))::text
FROM (SELECT f.b, count(*) FILTER (WHERE f.r1) AS n1, count(*) FILTER (WHERE f.r2) AS n2, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY f.d2) FILTER (WHERE f.r2) AS q2, count(*) FILTER (WHERE f.r3) AS n3, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY f.d3) FILTER (WHERE f.r3) AS q3 FROM (SELECT profile_id, b, r1, r2, r3, d1, d2, d3, last_step FROM (SELECT DISTINCT ON (f.profile_id) f.* FROM (SELECT s1.profile_id AS profile_id, pb.c2 AS b, TRUE AS r1, (s2.t IS NOT NULL AND (s1.x IS NULL OR s2.t < s1.x)) AS r2, (s3.t IS NOT NULL AND (s1.x IS NULL OR s3.t < s1.x)) AS r3, NULL::interval AS d1, s2.t - s1.t AS d2, s3.t - s2.t AS d3, CASE WHEN (s3.t IS NOT NULL AND (s1.x IS NULL OR s3.t < s1.x)) THEN 3 WHEN (s2.t IS NOT NULL AND (s1.x IS NULL OR s2.t < s1.x)) THEN 2 WHEN TRUE THEN 1 END AS last_step, s1.t AS entry_t
FROM (SELECT g.profile_id, a.t, CASE WHEN g.xs IS NOT NULL THEN (SELECT min(u) FROM unnest(g.xs) u WHERE u >= a.t) END AS x FROM (SELECT e.profile_id, array_agg(e.ts) FILTER (WHERE e.type = 'track' AND e.name = $1 AND e.ts >= $2::timestamptz AND e.ts < $3::timestamptz + interval '1 day') AS ts, array_agg(e.ts) FILTER (WHERE (e.type = 'track' AND e.name = $4)) AS xs FROM events e WHERE ((e.type = 'track' AND e.name = $1 AND e.ts >= $2::timestamptz AND e.ts < $3::timestamptz + interval '1 day') OR ((e.type = 'track' AND e.name = $4))) AND NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = e.profile_id AND m.merged_into IS NOT NULL) GROUP BY e.profile_id) g CROSS JOIN LATERAL unnest(g.ts) AS a(t) OFFSET 0) s1
LEFT JOIN LATERAL (SELECT min(e.ts) AS t FROM events e WHERE e.profile_id = s1.profile_id AND e.type = 'track' AND e.name = $7 AND s1.t IS NOT NULL AND e.ts >= s1.t HAVING min(e.ts) <= s1.t + $5::interval AND min(e.ts) <= s1.t + $6::interval AND (s1.x IS NULL OR min(e.ts) < s1.x)) s2 ON TRUE
LEFT JOIN LATERAL (SELECT min(e.ts) AS t FROM events e WHERE e.profile_id = s1.profile_id AND e.type = 'track' AND e.name = $8 AND ((CASE WHEN jsonb_typeof(e.props -> $9) = 'number' THEN (e.props ->> $9)::numeric END) >= $10::bigint) AND s2.t IS NOT NULL AND e.ts >= s2.t HAVING min(e.ts) <= s1.t + $5::interval AND (s1.x IS NULL OR min(e.ts) < s1.x)) s3 ON TRUE
LEFT JOIN (SELECT p.id AS c1, (CASE WHEN jsonb_typeof(p.traits -> $11) = 'string' THEN p.traits ->> $11 END) AS c2, p.id AS t1
FROM profiles p
WHERE p.merged_into IS NULL) pb ON pb.c1 = s1.profile_id) f ORDER BY f.profile_id, f.last_step DESC NULLS LAST, f.entry_t) best) f GROUP BY f.b) g
CROSS JOIN LATERAL (VALUES (1, $1, FALSE, g.n1, NULL::numeric, g.n1::numeric / NULLIF(g.n1, 0), NULL::interval, NULL::interval), (2, $7, FALSE, g.n2, g.n2::numeric / NULLIF(g.n1, 0), g.n2::numeric / NULLIF(g.n1, 0), g.q2[1], g.q2[2]), (3, $8, FALSE, g.n3, g.n3::numeric / NULLIF(g.n2, 0), g.n3::numeric / NULLIF(g.n1, 0), g.q3[1], g.q3[2])) v(step, event, optional, profiles, from_previous, from_first, median_time, p90_time)
ORDER BY g.b COLLATE "C" NULLS LAST, v.step;

-- columns: by text, step number, event text, optional boolean, profiles number, from_previous number, from_first number, median_time duration, p90_time duration
-- $1 = text "added_to_cart"
-- $2 = text "order_completed"
-- $3 = interval 1 hour
-- $4 = text "country"
SELECT g.b AS c0, v.step::text, v.event, v.optional::text, v.profiles::text, v.from_previous::text, v.from_first::text, extract(epoch FROM (v.median_time))::text, extract(epoch FROM (v.p90_time))::text
FROM (SELECT f.b, count(*) FILTER (WHERE f.r1) AS n1, count(*) FILTER (WHERE f.r2) AS n2, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY f.d2) FILTER (WHERE f.r2) AS q2 FROM (WITH ev AS (SELECT e.profile_id, e.ts, e.message_id, (e.type = 'track' AND e.name = $1) AS c1, (e.type = 'track' AND e.name = $2) AS c2, (TRUE) AS in_range, row_number() OVER (PARTITION BY e.profile_id ORDER BY e.ts, e.message_id COLLATE "C") AS rn FROM events e WHERE e.profile_id IN (SELECT e.profile_id FROM events e WHERE e.type = 'track' AND e.name = $1)),
s1 AS (SELECT ev.profile_id, ev.rn, ev.ts AS t, ev.ts AS t1, ev.rn AS a FROM ev WHERE ev.c1 AND ev.in_range),
g2 AS (SELECT s.profile_id, s.t1, s.a, n2.rn, n2.ts AS t FROM s1 s LEFT JOIN ev n2 ON n2.profile_id = s.profile_id AND n2.rn = s.rn + 1 AND n2.c2 AND n2.ts <= s.t1 + $3::interval),
s2 AS (SELECT * FROM g2 WHERE t IS NOT NULL)
SELECT profile_id, b, r1, r2, d1, d2, last_step FROM (SELECT DISTINCT ON (f.profile_id) f.* FROM (SELECT s1.profile_id AS profile_id, pb.c2 AS b, TRUE AS r1, (s2.t IS NOT NULL) AS r2, NULL::interval AS d1, s2.t - s1.t AS d2, CASE WHEN (s2.t IS NOT NULL) THEN 2 WHEN TRUE THEN 1 END AS last_step, s1.a AS entry_rn
FROM s1 LEFT JOIN s2 ON s2.profile_id = s1.profile_id AND s2.a = s1.a
LEFT JOIN (SELECT p.id AS c1, (CASE WHEN jsonb_typeof(p.traits -> $4) = 'string' THEN p.traits ->> $4 END) AS c2, p.id AS t1
FROM profiles p
WHERE p.merged_into IS NULL) pb ON pb.c1 = s1.profile_id
WHERE NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = s1.profile_id AND m.merged_into IS NOT NULL)) f ORDER BY f.profile_id, f.last_step DESC NULLS LAST, f.entry_rn) best) f GROUP BY f.b) g
CROSS JOIN LATERAL (VALUES (1, $1, FALSE, g.n1, NULL::numeric, g.n1::numeric / NULLIF(g.n1, 0), NULL::interval, NULL::interval), (2, $2, FALSE, g.n2, g.n2::numeric / NULLIF(g.n1, 0), g.n2::numeric / NULLIF(g.n1, 0), g.q2[1], g.q2[2])) v(step, event, optional, profiles, from_previous, from_first, median_time, p90_time)
ORDER BY g.b COLLATE "C" NULLS LAST, v.step;

-- columns: by text, step number, event text, optional boolean, profiles number, from_previous number, from_first number, median_time duration, p90_time duration
-- $1 = text "nps"
-- $2 = text "score"
-- $3 = bigint 9
-- $4 = text "referral"
-- $5 = interval 4 weeks
-- $6 = text "country"
SELECT g.b AS c0, v.step::text, v.event, v.optional::text, v.profiles::text, v.from_previous::text, v.from_first::text, extract(epoch FROM (v.median_time))::text, extract(epoch FROM (v.p90_time))::text
FROM (SELECT f.b, count(*) FILTER (WHERE f.r1) AS n1, count(*) FILTER (WHERE f.r2) AS n2, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY f.d2) FILTER (WHERE f.r2) AS q2 FROM (WITH s0 AS (SELECT DISTINCT e.profile_id, e.ts AS t0 FROM events e WHERE ((e.type = 'track' AND e.name = $1 AND ((CASE WHEN jsonb_typeof(e.props -> $2) = 'number' THEN (e.props ->> $2)::numeric END) >= $3::bigint)) OR (e.type = 'track' AND e.name = $4))),
s1 AS (SELECT s.profile_id, s.t0, min(e.ts) AS t FROM s0 s JOIN events e ON e.profile_id = s.profile_id AND e.type = 'track' AND e.name = $1 AND ((CASE WHEN jsonb_typeof(e.props -> $2) = 'number' THEN (e.props ->> $2)::numeric END) >= $3::bigint) AND e.ts >= s.t0 AND e.ts <= s.t0 + $5::interval GROUP BY s.profile_id, s.t0),
s2 AS (SELECT s.profile_id, s.t0, min(e.ts) AS t FROM s0 s JOIN events e ON e.profile_id = s.profile_id AND e.type = 'track' AND e.name = $4 AND e.ts >= s.t0 AND e.ts <= s.t0 + $5::interval GROUP BY s.profile_id, s.t0)
SELECT profile_id, b, r1, r2, d1, d2, last_step FROM (SELECT DISTINCT ON (f.profile_id) f.* FROM (SELECT s0.profile_id AS profile_id, pb.c2 AS b, TRUE AS r1, ((s1.t IS NOT NULL) AND (s2.t IS NOT NULL)) AS r2, NULL::interval AS d1, greatest(s1.t, s2.t) - s1.t AS d2, CASE WHEN ((s1.t IS NOT NULL) AND (s2.t IS NOT NULL)) THEN 2 WHEN TRUE THEN 1 END AS last_step, s0.t0 AS entry_t
FROM s0 LEFT JOIN s1 ON s1.profile_id = s0.profile_id AND s1.t0 = s0.t0 LEFT JOIN s2 ON s2.profile_id = s0.profile_id AND s2.t0 = s0.t0
LEFT JOIN (SELECT p.id AS c1, (CASE WHEN jsonb_typeof(p.traits -> $6) = 'string' THEN p.traits ->> $6 END) AS c2, p.id AS t1
FROM profiles p
WHERE p.merged_into IS NULL) pb ON pb.c1 = s0.profile_id
WHERE ((s1.t IS NOT NULL))
  AND NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = s0.profile_id AND m.merged_into IS NOT NULL)) f ORDER BY f.profile_id, f.last_step DESC NULLS LAST, f.entry_t) best) f GROUP BY f.b) g
CROSS JOIN LATERAL (VALUES (1, $1, FALSE, g.n1, NULL::numeric, g.n1::numeric / NULLIF(g.n1, 0), NULL::interval, NULL::interval), (2, $4, FALSE, g.n2, g.n2::numeric / NULLIF(g.n1, 0), g.n2::numeric / NULLIF(g.n1, 0), g.q2[1], g.q2[2])) v(step, event, optional, profiles, from_previous, from_first, median_time, p90_time)
ORDER BY g.b COLLATE "C" NULLS LAST, v.step;

-- columns: step number, event text, optional boolean, profiles number, from_previous number, from_first number, median_time duration, p90_time duration
-- $1 = text "product_viewed"
-- $2 = interval 1 day
-- $3 = text "order_completed"
SELECT v.step::text, v.event, v.optional::text, v.profiles::text, v.from_previous::text, v.from_first::text, extract(epoch FROM (v.median_time))::text, extract(epoch FROM (v.p90_time))::text
FROM (SELECT count(*) FILTER (WHERE f.r1) AS n1, count(*) FILTER (WHERE f.r2) AS n2, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY f.d2) FILTER (WHERE f.r2) AS q2 FROM (SELECT s1.profile_id AS profile_id, TRUE AS r1, (s2.t IS NOT NULL) AS r2, NULL::interval AS d1, s2.t - s1.t AS d2, CASE WHEN (s2.t IS NOT NULL) THEN 2 WHEN TRUE THEN 1 END AS last_step
FROM (SELECT e.profile_id, min(e.ts) AS t FROM events e WHERE e.type = 'track' AND e.name = $1 AND NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = e.profile_id AND m.merged_into IS NOT NULL) GROUP BY e.profile_id) s1
LEFT JOIN LATERAL (SELECT min(e.ts) AS t FROM events e WHERE e.profile_id = s1.profile_id AND e.type = 'track' AND e.name = $3 AND s1.t IS NOT NULL AND e.ts >= s1.t HAVING min(e.ts) <= s1.t + $2::interval) s2 ON TRUE) f) g
CROSS JOIN LATERAL (VALUES (1, $1, FALSE, g.n1, NULL::numeric, g.n1::numeric / NULLIF(g.n1, 0), NULL::interval, NULL::interval), (2, $3, FALSE, g.n2, g.n2::numeric / NULLIF(g.n1, 0), g.n2::numeric / NULLIF(g.n1, 0), g.q2[1], g.q2[2])) v(step, event, optional, profiles, from_previous, from_first, median_time, p90_time)
ORDER BY v.step;

-- columns: id number, email text
-- $1 = text "product_viewed"
-- $2 = text "refund"
-- $3 = text "amount"
-- $4 = bigint 0
-- $5 = interval 7 days
-- $6 = interval 1 day
-- $7 = text "added_to_cart"
-- $8 = text "coupon_applied"
-- $9 = text "order_completed"
-- $10 = text "email"
SELECT (p.id)::text AS c1, (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $10 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c2
FROM profiles p
WHERE p.merged_into IS NULL
  AND p.id IN (SELECT f.profile_id FROM (SELECT profile_id, r1, r2, r3, r4, d1, d2, d3, d4, last_step FROM (SELECT DISTINCT ON (f.profile_id) f.* FROM (SELECT s1.profile_id AS profile_id, TRUE AS r1, (s2.t IS NOT NULL AND (s1.x IS NULL OR s2.t < s1.x)) AS r2, ((s3.t IS NOT NULL AND (s1.x IS NULL OR s3.t < s1.x)) AND (NOT (s4.t IS NOT NULL AND (s1.x IS NULL OR s4.t < s1.x)) OR s3.t <= s4.t)) AS r3, (s4.t IS NOT NULL AND (s1.x IS NULL OR s4.t < s1.x)) AS r4, NULL::interval AS d1, s2.t - s1.t AS d2, s3.t - s2.t AS d3, s4.t - s2.t AS d4, CASE WHEN (s4.t IS NOT NULL AND (s1.x IS NULL OR s4.t < s1.x)) THEN 4 WHEN ((s3.t IS NOT NULL AND (s1.x IS NULL OR s3.t < s1.x)) AND (NOT (s4.t IS NOT NULL AND (s1.x IS NULL OR s4.t < s1.x)) OR s3.t <= s4.t)) THEN 3 WHEN (s2.t IS NOT NULL AND (s1.x IS NULL OR s2.t < s1.x)) THEN 2 WHEN TRUE THEN 1 END AS last_step, s1.t AS entry_t
FROM (SELECT g.profile_id, a.t, CASE WHEN g.xs IS NOT NULL THEN (SELECT min(u) FROM unnest(g.xs) u WHERE u >= a.t) END AS x FROM (SELECT e.profile_id, array_agg(e.ts) FILTER (WHERE e.type = 'track' AND e.name = $1) AS ts, array_agg(e.ts) FILTER (WHERE (e.type = 'track' AND e.name = $2 AND ((CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END) > $4::bigint))) AS xs FROM events e WHERE ((e.type = 'track' AND e.name = $1) OR ((e.type = 'track' AND e.name = $2 AND ((CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END) > $4::bigint)))) AND NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = e.profile_id AND m.merged_into IS NOT NULL) GROUP BY e.profile_id) g CROSS JOIN LATERAL unnest(g.ts) AS a(t) OFFSET 0) s1
LEFT JOIN LATERAL (SELECT min(e.ts) AS t FROM events e WHERE e.profile_id = s1.profile_id AND e.type = 'track' AND e.name = $7 AND s1.t IS NOT NULL AND e.ts >= s1.t HAVING min(e.ts) <= s1.t + $5::interval AND min(e.ts) <= s1.t + $6::interval AND (s1.x IS NULL OR min(e.ts) < s1.x)) s2 ON TRUE
LEFT JOIN LATERAL (SELECT min(e.ts) AS t FROM events e WHERE e.profile_id = s1.profile_id AND e.type = 'track' AND e.name = $8 AND s2.t IS NOT NULL AND e.ts >= s2.t HAVING min(e.ts) <= s1.t + $5::interval AND (s1.x IS NULL OR min(e.ts) < s1.x)) s3 ON TRUE
LEFT JOIN LATERAL (SELECT min(e.ts) AS t FROM events e WHERE e.profile_id = s1.profile_id AND e.type = 'track' AND e.name = $9 AND s2.t IS NOT NULL AND e.ts >= s2.t HAVING min(e.ts) <= s1.t + $5::interval AND (s1.x IS NULL OR min(e.ts) < s1.x)) s4 ON TRUE) f ORDER BY f.profile_id, f.last_step DESC NULLS LAST, f.entry_t) best) f WHERE f.last_step = 2)
ORDER BY p.id
LIMIT 20;

-- describe checkout

-- drop funnel legacy
