-- save funnel checkout = product_viewed -> added_to_cart within 1 day
                  -> optional coupon_applied -> order_completed
                  within 7 days exclude refund where amount > 0

-- save funnel activation = signup -> login within 7d -> purchase where amount >= 20 within 30 days
                    exclude refund order sequential by plan attribute first

-- save funnel quick_checkout = added_to_cart -> order_completed within 1 hour order strict by country

-- save funnel advocacy = nps where score >= 9 -> referral order any within 4 weeks by country attribute step 1

-- save funnel legacy = product_viewed -> `Order Completed` within 2 days by newsletter attribute last

-- show funnels

-- columns: step number, event text, optional boolean, profiles number, from_previous number, from_first number, median_time duration, p90_time duration
-- $1 = text "product_viewed"
-- $2 = interval 7 days
-- $3 = interval 1 day
-- $4 = text "added_to_cart"
-- $5 = text "coupon_applied"
-- $6 = text "order_completed"
-- $7 = text "refund"
-- $8 = text "amount"
-- $9 = bigint 0
SELECT v.step::text, v.event, v.optional::text, v.profiles::text, v.from_previous::text, v.from_first::text, extract(epoch FROM (v.median_time))::text, extract(epoch FROM (v.p90_time))::text
FROM (SELECT count(*) FILTER (WHERE f.r1) AS n1, count(*) FILTER (WHERE f.r2) AS n2, percentile_cont(0.5) WITHIN GROUP (ORDER BY f.d2) FILTER (WHERE f.r2) AS m2, percentile_cont(0.9) WITHIN GROUP (ORDER BY f.d2) FILTER (WHERE f.r2) AS p2, count(*) FILTER (WHERE f.r3) AS n3, percentile_cont(0.5) WITHIN GROUP (ORDER BY f.d3) FILTER (WHERE f.r3) AS m3, percentile_cont(0.9) WITHIN GROUP (ORDER BY f.d3) FILTER (WHERE f.r3) AS p3, count(*) FILTER (WHERE f.r4) AS n4, percentile_cont(0.5) WITHIN GROUP (ORDER BY f.d4) FILTER (WHERE f.r4) AS m4, percentile_cont(0.9) WITHIN GROUP (ORDER BY f.d4) FILTER (WHERE f.r4) AS p4 FROM (SELECT s1.profile_id AS profile_id, TRUE AS r1, (s2.t IS NOT NULL AND (x.x IS NULL OR s2.t < x.x)) AS r2, ((s3.t IS NOT NULL AND (x.x IS NULL OR s3.t < x.x)) AND (NOT (s4.t IS NOT NULL AND (x.x IS NULL OR s4.t < x.x)) OR s3.t <= s4.t)) AS r3, (s4.t IS NOT NULL AND (x.x IS NULL OR s4.t < x.x)) AS r4, NULL::interval AS d1, s2.t - s1.t AS d2, s3.t - s2.t AS d3, s4.t - s2.t AS d4, CASE WHEN (s4.t IS NOT NULL AND (x.x IS NULL OR s4.t < x.x)) THEN 4 WHEN ((s3.t IS NOT NULL AND (x.x IS NULL OR s3.t < x.x)) AND (NOT (s4.t IS NOT NULL AND (x.x IS NULL OR s4.t < x.x)) OR s3.t <= s4.t)) THEN 3 WHEN (s2.t IS NOT NULL AND (x.x IS NULL OR s2.t < x.x)) THEN 2 WHEN TRUE THEN 1 END AS last_step
FROM (SELECT e.profile_id, min(e.ts) AS t FROM events e WHERE e.type = 'track' AND e.name = $1 GROUP BY e.profile_id) s1
LEFT JOIN LATERAL (SELECT e.ts AS t FROM events e WHERE e.profile_id = s1.profile_id AND e.type = 'track' AND e.name = $4 AND s1.t IS NOT NULL AND e.ts >= s1.t AND e.ts <= s1.t + $2::interval AND e.ts <= s1.t + $3::interval ORDER BY e.ts LIMIT 1) s2 ON TRUE
LEFT JOIN LATERAL (SELECT e.ts AS t FROM events e WHERE e.profile_id = s1.profile_id AND e.type = 'track' AND e.name = $5 AND s2.t IS NOT NULL AND e.ts >= s2.t AND e.ts <= s1.t + $2::interval ORDER BY e.ts LIMIT 1) s3 ON TRUE
LEFT JOIN LATERAL (SELECT e.ts AS t FROM events e WHERE e.profile_id = s1.profile_id AND e.type = 'track' AND e.name = $6 AND s2.t IS NOT NULL AND e.ts >= s2.t AND e.ts <= s1.t + $2::interval ORDER BY e.ts LIMIT 1) s4 ON TRUE
LEFT JOIN LATERAL (SELECT min(e.ts) AS x FROM events e WHERE greatest(s2.t, s3.t, s4.t) IS NOT NULL AND e.profile_id = s1.profile_id AND ((e.type = 'track' AND e.name = $7 AND COALESCE(((CASE WHEN jsonb_typeof(e.props -> $8) = 'number' THEN (e.props ->> $8)::numeric END) > $9::bigint), FALSE))) AND e.ts >= s1.t AND e.ts <= greatest(s2.t, s3.t, s4.t) AND e.ts <= s1.t + $2::interval) x ON TRUE
WHERE NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = s1.profile_id AND m.merged_into IS NOT NULL)) f) g
CROSS JOIN LATERAL (VALUES (1, $1, FALSE, g.n1, NULL::numeric, g.n1::numeric / NULLIF(g.n1, 0), NULL::interval, NULL::interval), (2, $4, FALSE, g.n2, g.n2::numeric / NULLIF(g.n1, 0), g.n2::numeric / NULLIF(g.n1, 0), g.m2, g.p2), (3, $5, TRUE, g.n3, g.n3::numeric / NULLIF(g.n2, 0), g.n3::numeric / NULLIF(g.n1, 0), g.m3, g.p3), (4, $6, FALSE, g.n4, g.n4::numeric / NULLIF(g.n2, 0), g.n4::numeric / NULLIF(g.n1, 0), g.m4, g.p4)) v(step, event, optional, profiles, from_previous, from_first, median_time, p90_time)
ORDER BY v.step;

-- columns: by text, step number, event text, optional boolean, profiles number, from_previous number, from_first number, median_time duration, p90_time duration
-- $1 = text "product_viewed"
-- $2 = timestamptz 2024-01-01T00:00:00Z
-- $3 = interval 7 days
-- $4 = interval 1 day
-- $5 = text "added_to_cart"
-- $6 = text "coupon_applied"
-- $7 = text "order_completed"
-- $8 = text "refund"
-- $9 = text "amount"
-- $10 = bigint 0
-- $11 = text "plan"
SELECT g.b AS c0, v.step::text, v.event, v.optional::text, v.profiles::text, v.from_previous::text, v.from_first::text, extract(epoch FROM (v.median_time))::text, extract(epoch FROM (v.p90_time))::text
FROM (SELECT f.b, count(*) FILTER (WHERE f.r1) AS n1, count(*) FILTER (WHERE f.r2) AS n2, percentile_cont(0.5) WITHIN GROUP (ORDER BY f.d2) FILTER (WHERE f.r2) AS m2, percentile_cont(0.9) WITHIN GROUP (ORDER BY f.d2) FILTER (WHERE f.r2) AS p2, count(*) FILTER (WHERE f.r3) AS n3, percentile_cont(0.5) WITHIN GROUP (ORDER BY f.d3) FILTER (WHERE f.r3) AS m3, percentile_cont(0.9) WITHIN GROUP (ORDER BY f.d3) FILTER (WHERE f.r3) AS p3, count(*) FILTER (WHERE f.r4) AS n4, percentile_cont(0.5) WITHIN GROUP (ORDER BY f.d4) FILTER (WHERE f.r4) AS m4, percentile_cont(0.9) WITHIN GROUP (ORDER BY f.d4) FILTER (WHERE f.r4) AS p4 FROM (SELECT s1.profile_id AS profile_id, pb.c2 AS b, TRUE AS r1, (s2.t IS NOT NULL AND (x.x IS NULL OR s2.t < x.x)) AS r2, ((s3.t IS NOT NULL AND (x.x IS NULL OR s3.t < x.x)) AND (NOT (s4.t IS NOT NULL AND (x.x IS NULL OR s4.t < x.x)) OR s3.t <= s4.t)) AS r3, (s4.t IS NOT NULL AND (x.x IS NULL OR s4.t < x.x)) AS r4, NULL::interval AS d1, s2.t - s1.t AS d2, s3.t - s2.t AS d3, s4.t - s2.t AS d4, CASE WHEN (s4.t IS NOT NULL AND (x.x IS NULL OR s4.t < x.x)) THEN 4 WHEN ((s3.t IS NOT NULL AND (x.x IS NULL OR s3.t < x.x)) AND (NOT (s4.t IS NOT NULL AND (x.x IS NULL OR s4.t < x.x)) OR s3.t <= s4.t)) THEN 3 WHEN (s2.t IS NOT NULL AND (x.x IS NULL OR s2.t < x.x)) THEN 2 WHEN TRUE THEN 1 END AS last_step
FROM (SELECT e.profile_id, min(e.ts) AS t FROM events e WHERE e.type = 'track' AND e.name = $1 AND e.ts >= $2::timestamptz GROUP BY e.profile_id) s1
LEFT JOIN LATERAL (SELECT e.ts AS t FROM events e WHERE e.profile_id = s1.profile_id AND e.type = 'track' AND e.name = $5 AND s1.t IS NOT NULL AND e.ts >= s1.t AND e.ts <= s1.t + $3::interval AND e.ts <= s1.t + $4::interval ORDER BY e.ts LIMIT 1) s2 ON TRUE
LEFT JOIN LATERAL (SELECT e.ts AS t FROM events e WHERE e.profile_id = s1.profile_id AND e.type = 'track' AND e.name = $6 AND s2.t IS NOT NULL AND e.ts >= s2.t AND e.ts <= s1.t + $3::interval ORDER BY e.ts LIMIT 1) s3 ON TRUE
LEFT JOIN LATERAL (SELECT e.ts AS t FROM events e WHERE e.profile_id = s1.profile_id AND e.type = 'track' AND e.name = $7 AND s2.t IS NOT NULL AND e.ts >= s2.t AND e.ts <= s1.t + $3::interval ORDER BY e.ts LIMIT 1) s4 ON TRUE
LEFT JOIN LATERAL (SELECT min(e.ts) AS x FROM events e WHERE greatest(s2.t, s3.t, s4.t) IS NOT NULL AND e.profile_id = s1.profile_id AND ((e.type = 'track' AND e.name = $8 AND COALESCE(((CASE WHEN jsonb_typeof(e.props -> $9) = 'number' THEN (e.props ->> $9)::numeric END) > $10::bigint), FALSE))) AND e.ts >= s1.t AND e.ts <= greatest(s2.t, s3.t, s4.t) AND e.ts <= s1.t + $3::interval) x ON TRUE
LEFT JOIN (SELECT p.id AS c1, (CASE WHEN jsonb_typeof(p.traits -> $11) = 'string' THEN p.traits ->> $11 END) AS c2, p.id AS t1
FROM profiles p
WHERE p.merged_into IS NULL) pb ON pb.c1 = s1.profile_id
WHERE NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = s1.profile_id AND m.merged_into IS NOT NULL)) f GROUP BY f.b) g
CROSS JOIN LATERAL (VALUES (1, $1, FALSE, g.n1, NULL::numeric, g.n1::numeric / NULLIF(g.n1, 0), NULL::interval, NULL::interval), (2, $5, FALSE, g.n2, g.n2::numeric / NULLIF(g.n1, 0), g.n2::numeric / NULLIF(g.n1, 0), g.m2, g.p2), (3, $6, TRUE, g.n3, g.n3::numeric / NULLIF(g.n2, 0), g.n3::numeric / NULLIF(g.n1, 0), g.m3, g.p3), (4, $7, FALSE, g.n4, g.n4::numeric / NULLIF(g.n2, 0), g.n4::numeric / NULLIF(g.n1, 0), g.m4, g.p4)) v(step, event, optional, profiles, from_previous, from_first, median_time, p90_time)
ORDER BY g.b COLLATE "C" NULLS LAST, v.step;

-- columns: by text, step number, event text, optional boolean, profiles number, from_previous number, from_first number, median_time duration, p90_time duration
-- $1 = text "signup"
-- $2 = timestamptz 2024-01-01T00:00:00Z
-- $3 = timestamptz 2024-06-30T00:00:00Z
-- $4 = interval 30 days
-- $5 = interval 7 days
-- $6 = text "login"
-- $7 = text "purchase"
-- $8 = text "amount"
-- $9 = bigint 20
-- $10 = text "refund"
-- $11 = text "plan"
SELECT g.b AS c0, v.step::text, v.event, v.optional::text, v.profiles::text, v.from_previous::text, v.from_first::text, extract(epoch FROM (v.median_time))::text, extract(epoch FROM (v.p90_time))::text
FROM (SELECT f.b, count(*) FILTER (WHERE f.r1) AS n1, count(*) FILTER (WHERE f.r2) AS n2, percentile_cont(0.5) WITHIN GROUP (ORDER BY f.d2) FILTER (WHERE f.r2) AS m2, percentile_cont(0.9) WITHIN GROUP (ORDER BY f.d2) FILTER (WHERE f.r2) AS p2, count(*) FILTER (WHERE f.r3) AS n3, percentile_cont(0.5) WITHIN GROUP (ORDER BY f.d3) FILTER (WHERE f.r3) AS m3, percentile_cont(0.9) WITHIN GROUP (ORDER BY f.d3) FILTER (WHERE f.r3) AS p3 FROM (SELECT s1.profile_id AS profile_id, pb.c2 AS b, TRUE AS r1, (s2.t IS NOT NULL AND (x.x IS NULL OR s2.t < x.x)) AS r2, (s3.t IS NOT NULL AND (x.x IS NULL OR s3.t < x.x)) AS r3, NULL::interval AS d1, s2.t - s1.t AS d2, s3.t - s2.t AS d3, CASE WHEN (s3.t IS NOT NULL AND (x.x IS NULL OR s3.t < x.x)) THEN 3 WHEN (s2.t IS NOT NULL AND (x.x IS NULL OR s2.t < x.x)) THEN 2 WHEN TRUE THEN 1 END AS last_step
FROM (SELECT e.profile_id, min(e.ts) AS t FROM events e WHERE e.type = 'track' AND e.name = $1 AND e.ts >= $2::timestamptz AND e.ts < $3::timestamptz + interval '1 day' GROUP BY e.profile_id) s1
LEFT JOIN LATERAL (SELECT e.ts AS t FROM events e WHERE e.profile_id = s1.profile_id AND e.type = 'track' AND e.name = $6 AND s1.t IS NOT NULL AND e.ts >= s1.t AND e.ts <= s1.t + $4::interval AND e.ts <= s1.t + $5::interval ORDER BY e.ts LIMIT 1) s2 ON TRUE
LEFT JOIN LATERAL (SELECT e.ts AS t FROM events e WHERE e.profile_id = s1.profile_id AND e.type = 'track' AND e.name = $7 AND COALESCE(((CASE WHEN jsonb_typeof(e.props -> $8) = 'number' THEN (e.props ->> $8)::numeric END) >= $9::bigint), FALSE) AND s2.t IS NOT NULL AND e.ts >= s2.t AND e.ts <= s1.t + $4::interval ORDER BY e.ts LIMIT 1) s3 ON TRUE
LEFT JOIN LATERAL (SELECT min(e.ts) AS x FROM events e WHERE greatest(s2.t, s3.t) IS NOT NULL AND e.profile_id = s1.profile_id AND ((e.type = 'track' AND e.name = $10)) AND e.ts >= s1.t AND e.ts <= greatest(s2.t, s3.t) AND e.ts <= s1.t + $4::interval) x ON TRUE
LEFT JOIN (SELECT p.id AS c1, (CASE WHEN jsonb_typeof(p.traits -> $11) = 'string' THEN p.traits ->> $11 END) AS c2, p.id AS t1
FROM profiles p
WHERE p.merged_into IS NULL) pb ON pb.c1 = s1.profile_id
WHERE NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = s1.profile_id AND m.merged_into IS NOT NULL)) f GROUP BY f.b) g
CROSS JOIN LATERAL (VALUES (1, $1, FALSE, g.n1, NULL::numeric, g.n1::numeric / NULLIF(g.n1, 0), NULL::interval, NULL::interval), (2, $6, FALSE, g.n2, g.n2::numeric / NULLIF(g.n1, 0), g.n2::numeric / NULLIF(g.n1, 0), g.m2, g.p2), (3, $7, FALSE, g.n3, g.n3::numeric / NULLIF(g.n2, 0), g.n3::numeric / NULLIF(g.n1, 0), g.m3, g.p3)) v(step, event, optional, profiles, from_previous, from_first, median_time, p90_time)
ORDER BY g.b COLLATE "C" NULLS LAST, v.step;

-- columns: id number, email text
-- $1 = text "product_viewed"
-- $2 = interval 7 days
-- $3 = interval 1 day
-- $4 = text "added_to_cart"
-- $5 = text "coupon_applied"
-- $6 = text "order_completed"
-- $7 = text "refund"
-- $8 = text "amount"
-- $9 = bigint 0
-- $10 = text "email"
SELECT (p.id)::text AS c1, (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $10 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c2
FROM profiles p
WHERE p.merged_into IS NULL
  AND p.id IN (SELECT f.profile_id FROM (SELECT s1.profile_id AS profile_id, TRUE AS r1, (s2.t IS NOT NULL AND (x.x IS NULL OR s2.t < x.x)) AS r2, ((s3.t IS NOT NULL AND (x.x IS NULL OR s3.t < x.x)) AND (NOT (s4.t IS NOT NULL AND (x.x IS NULL OR s4.t < x.x)) OR s3.t <= s4.t)) AS r3, (s4.t IS NOT NULL AND (x.x IS NULL OR s4.t < x.x)) AS r4, NULL::interval AS d1, s2.t - s1.t AS d2, s3.t - s2.t AS d3, s4.t - s2.t AS d4, CASE WHEN (s4.t IS NOT NULL AND (x.x IS NULL OR s4.t < x.x)) THEN 4 WHEN ((s3.t IS NOT NULL AND (x.x IS NULL OR s3.t < x.x)) AND (NOT (s4.t IS NOT NULL AND (x.x IS NULL OR s4.t < x.x)) OR s3.t <= s4.t)) THEN 3 WHEN (s2.t IS NOT NULL AND (x.x IS NULL OR s2.t < x.x)) THEN 2 WHEN TRUE THEN 1 END AS last_step
FROM (SELECT e.profile_id, min(e.ts) AS t FROM events e WHERE e.type = 'track' AND e.name = $1 GROUP BY e.profile_id) s1
LEFT JOIN LATERAL (SELECT e.ts AS t FROM events e WHERE e.profile_id = s1.profile_id AND e.type = 'track' AND e.name = $4 AND s1.t IS NOT NULL AND e.ts >= s1.t AND e.ts <= s1.t + $2::interval AND e.ts <= s1.t + $3::interval ORDER BY e.ts LIMIT 1) s2 ON TRUE
LEFT JOIN LATERAL (SELECT e.ts AS t FROM events e WHERE e.profile_id = s1.profile_id AND e.type = 'track' AND e.name = $5 AND s2.t IS NOT NULL AND e.ts >= s2.t AND e.ts <= s1.t + $2::interval ORDER BY e.ts LIMIT 1) s3 ON TRUE
LEFT JOIN LATERAL (SELECT e.ts AS t FROM events e WHERE e.profile_id = s1.profile_id AND e.type = 'track' AND e.name = $6 AND s2.t IS NOT NULL AND e.ts >= s2.t AND e.ts <= s1.t + $2::interval ORDER BY e.ts LIMIT 1) s4 ON TRUE
LEFT JOIN LATERAL (SELECT min(e.ts) AS x FROM events e WHERE greatest(s2.t, s3.t, s4.t) IS NOT NULL AND e.profile_id = s1.profile_id AND ((e.type = 'track' AND e.name = $7 AND COALESCE(((CASE WHEN jsonb_typeof(e.props -> $8) = 'number' THEN (e.props ->> $8)::numeric END) > $9::bigint), FALSE))) AND e.ts >= s1.t AND e.ts <= greatest(s2.t, s3.t, s4.t) AND e.ts <= s1.t + $2::interval) x ON TRUE
WHERE NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = s1.profile_id AND m.merged_into IS NOT NULL)) f WHERE f.last_step = 2)
ORDER BY p.id
LIMIT 20;

-- describe checkout

-- drop funnel legacy
