-- save stage stage.reach = did any

-- save stage stage.acquisition = did purchase or did `Order Completed`

-- save stage stage.development = count(purchase) >= 2

-- save stage stage.retention = did purchase within 90 days and first(purchase).ts < now - 180 days

-- save stage stage.inspire = did referral or (did nps where score >= 9)

-- columns: stage text, profiles number, reached number, conversion number
-- $1 = text "referral"
-- $2 = bigint 0
-- $3 = text "nps"
-- $4 = text "score"
-- $5 = bigint 9
-- $6 = text "inspire"
-- $7 = text "purchase"
-- $8 = timestamptz now
-- $9 = interval 90 days
-- $10 = interval 180 days
-- $11 = text "retention"
-- $12 = bigint 2
-- $13 = text "development"
-- $14 = text "Order Completed"
-- $15 = text "acquisition"
-- $16 = text "reach"
WITH s AS MATERIALIZED (SELECT CASE q.c2 WHEN $16 THEN 1 WHEN $15 THEN 2 WHEN $13 THEN 3 WHEN $11 THEN 4 WHEN $6 THEN 5 END AS si FROM (SELECT p.id AS c1, (CASE WHEN ((COALESCE(ea.a1, 0) > $2::bigint) OR (COALESCE(ea.a2, 0) > $2::bigint)) THEN $6 WHEN ((COALESCE(ea.a3, 0) > $2::bigint) AND (ea.a4 < ($8::timestamptz - $10::interval))) THEN $11 WHEN (COALESCE(ea.a5, 0) >= $12::bigint) THEN $13 WHEN ((COALESCE(ea.a5, 0) > $2::bigint) OR (COALESCE(ea.a6, 0) > $2::bigint)) THEN $15 WHEN EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id) THEN $16 END) AS c2, p.id AS t1
FROM profiles p
LEFT JOIN (SELECT e.profile_id, count(*) FILTER (WHERE e.type = 'track' AND e.name = $1) AS a1, count(*) FILTER (WHERE e.type = 'track' AND e.name = $3 AND ((CASE WHEN jsonb_typeof(e.props -> $4) = 'number' THEN (e.props ->> $4)::numeric END) >= $5::bigint)) AS a2, count(*) FILTER (WHERE e.type = 'track' AND e.name = $7 AND e.ts >= ($8::timestamptz - $9::interval) AND e.ts <= $8::timestamptz) AS a3, min(e.ts) FILTER (WHERE e.type = 'track' AND e.name = $7) AS a4, count(*) FILTER (WHERE e.type = 'track' AND e.name = $7) AS a5, count(*) FILTER (WHERE e.type = 'track' AND e.name = $14) AS a6 FROM events e WHERE (e.type = 'track' AND e.name = $1) OR (e.type = 'track' AND e.name = $3 AND ((CASE WHEN jsonb_typeof(e.props -> $4) = 'number' THEN (e.props ->> $4)::numeric END) >= $5::bigint)) OR (e.type = 'track' AND e.name = $7) OR (e.type = 'track' AND e.name = $14) GROUP BY e.profile_id) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL OFFSET 0) q WHERE q.c2 IS NOT NULL)
SELECT v.stage, v.profiles::text, v.reached::text, v.conversion::text
FROM (SELECT count(*) FILTER (WHERE s.si = 1) AS p1, count(*) FILTER (WHERE s.si >= 1) AS r1, count(*) FILTER (WHERE s.si = 2) AS p2, count(*) FILTER (WHERE s.si >= 2) AS r2, count(*) FILTER (WHERE s.si = 3) AS p3, count(*) FILTER (WHERE s.si >= 3) AS r3, count(*) FILTER (WHERE s.si = 4) AS p4, count(*) FILTER (WHERE s.si >= 4) AS r4, count(*) FILTER (WHERE s.si = 5) AS p5, count(*) FILTER (WHERE s.si >= 5) AS r5 FROM s) g
CROSS JOIN LATERAL (VALUES (1, $16, g.p1, g.r1, g.r2::numeric / NULLIF(g.r1, 0)), (2, $15, g.p2, g.r2, g.r3::numeric / NULLIF(g.r2, 0)), (3, $13, g.p3, g.r3, g.r4::numeric / NULLIF(g.r3, 0)), (4, $11, g.p4, g.r4, g.r5::numeric / NULLIF(g.r4, 0)), (5, $6, g.p5, g.r5, NULL::numeric)) v(i, stage, profiles, reached, conversion)
ORDER BY v.i;

-- columns: by text, stage text, profiles number, reached number, conversion number
-- $1 = text "referral"
-- $2 = bigint 0
-- $3 = text "nps"
-- $4 = text "score"
-- $5 = bigint 9
-- $6 = text "inspire"
-- $7 = text "purchase"
-- $8 = timestamptz now
-- $9 = interval 90 days
-- $10 = interval 180 days
-- $11 = text "retention"
-- $12 = bigint 2
-- $13 = text "development"
-- $14 = text "Order Completed"
-- $15 = text "acquisition"
-- $16 = text "reach"
-- $17 = text "plan"
WITH s AS MATERIALIZED (SELECT q.c3 AS b, CASE q.c2 WHEN $16 THEN 1 WHEN $15 THEN 2 WHEN $13 THEN 3 WHEN $11 THEN 4 WHEN $6 THEN 5 END AS si FROM (SELECT p.id AS c1, (CASE WHEN ((COALESCE(ea.a1, 0) > $2::bigint) OR (COALESCE(ea.a2, 0) > $2::bigint)) THEN $6 WHEN ((COALESCE(ea.a3, 0) > $2::bigint) AND (ea.a4 < ($8::timestamptz - $10::interval))) THEN $11 WHEN (COALESCE(ea.a5, 0) >= $12::bigint) THEN $13 WHEN ((COALESCE(ea.a5, 0) > $2::bigint) OR (COALESCE(ea.a6, 0) > $2::bigint)) THEN $15 WHEN EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id) THEN $16 END) AS c2, (CASE WHEN jsonb_typeof(p.traits -> $17) = 'string' THEN p.traits ->> $17 END) AS c3, p.id AS t1
FROM profiles p
LEFT JOIN (SELECT e.profile_id, count(*) FILTER (WHERE e.type = 'track' AND e.name = $1) AS a1, count(*) FILTER (WHERE e.type = 'track' AND e.name = $3 AND ((CASE WHEN jsonb_typeof(e.props -> $4) = 'number' THEN (e.props ->> $4)::numeric END) >= $5::bigint)) AS a2, count(*) FILTER (WHERE e.type = 'track' AND e.name = $7 AND e.ts >= ($8::timestamptz - $9::interval) AND e.ts <= $8::timestamptz) AS a3, min(e.ts) FILTER (WHERE e.type = 'track' AND e.name = $7) AS a4, count(*) FILTER (WHERE e.type = 'track' AND e.name = $7) AS a5, count(*) FILTER (WHERE e.type = 'track' AND e.name = $14) AS a6 FROM events e WHERE (e.type = 'track' AND e.name = $1) OR (e.type = 'track' AND e.name = $3 AND ((CASE WHEN jsonb_typeof(e.props -> $4) = 'number' THEN (e.props ->> $4)::numeric END) >= $5::bigint)) OR (e.type = 'track' AND e.name = $7) OR (e.type = 'track' AND e.name = $14) GROUP BY e.profile_id) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL OFFSET 0) q WHERE q.c2 IS NOT NULL)
SELECT g.b, v.stage, v.profiles::text, v.reached::text, v.conversion::text
FROM (SELECT s.b, count(*) FILTER (WHERE s.si = 1) AS p1, count(*) FILTER (WHERE s.si >= 1) AS r1, count(*) FILTER (WHERE s.si = 2) AS p2, count(*) FILTER (WHERE s.si >= 2) AS r2, count(*) FILTER (WHERE s.si = 3) AS p3, count(*) FILTER (WHERE s.si >= 3) AS r3, count(*) FILTER (WHERE s.si = 4) AS p4, count(*) FILTER (WHERE s.si >= 4) AS r4, count(*) FILTER (WHERE s.si = 5) AS p5, count(*) FILTER (WHERE s.si >= 5) AS r5 FROM s GROUP BY s.b) g
CROSS JOIN LATERAL (VALUES (1, $16, g.p1, g.r1, g.r2::numeric / NULLIF(g.r1, 0)), (2, $15, g.p2, g.r2, g.r3::numeric / NULLIF(g.r2, 0)), (3, $13, g.p3, g.r3, g.r4::numeric / NULLIF(g.r3, 0)), (4, $11, g.p4, g.r4, g.r5::numeric / NULLIF(g.r4, 0)), (5, $6, g.p5, g.r5, NULL::numeric)) v(i, stage, profiles, reached, conversion)
ORDER BY g.b COLLATE "C" NULLS LAST, v.i;

-- columns: cohort timestamp, period number, customers number, active number, retention number
-- $1 = text "revenue"
-- $2 = text "Order Completed"
-- $3 = text "amount"
-- $4 = text "purchase"
-- $5 = timestamptz now
WITH op AS (SELECT e.profile_id, date_trunc('month', e.ts) AS period, min(e.ts) AS first FROM events e WHERE e.type = 'track' AND e.name IN ($2, $4) AND (CASE e.name WHEN $2 THEN (CASE WHEN jsonb_typeof(e.props -> $1) = 'number' THEN (e.props ->> $1)::numeric END) WHEN $4 THEN (CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END) END) > 0 AND NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = e.profile_id AND m.merged_into IS NOT NULL) GROUP BY 1, 2),
act AS (SELECT x.cohort, x.period, count(*) AS active
        FROM (SELECT op.period, min(op.period) OVER w AS cohort FROM op
              WINDOW w AS (PARTITION BY op.profile_id)) x
        GROUP BY x.cohort, x.period),
sizes AS (SELECT act.cohort, act.active AS customers FROM act WHERE act.period = act.cohort)
SELECT extract(epoch FROM s.cohort)::text, (gs.n - 1)::text, s.customers::text, COALESCE(a.active, 0)::text, (COALESCE(a.active, 0)::numeric / s.customers)::text
FROM sizes s
CROSS JOIN LATERAL generate_series(s.cohort, date_trunc('month', $5::timestamptz), interval '1 month') WITH ORDINALITY AS gs(period, n)
LEFT JOIN act a ON a.cohort = s.cohort AND a.period = gs.period
ORDER BY s.cohort, gs.n;

-- columns: cohort timestamp, period number, customers number, active number, retention number
-- $1 = text "revenue"
-- $2 = text "Order Completed"
-- $3 = text "amount"
-- $4 = text "purchase"
-- $5 = timestamptz now
-- $6 = timestamptz 2024-10-01T00:00:00Z
WITH op AS (SELECT e.profile_id, date_trunc('week', e.ts) AS period, min(e.ts) AS first FROM events e WHERE e.type = 'track' AND e.name IN ($2, $4) AND (CASE e.name WHEN $2 THEN (CASE WHEN jsonb_typeof(e.props -> $1) = 'number' THEN (e.props ->> $1)::numeric END) WHEN $4 THEN (CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END) END) > 0 AND NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = e.profile_id AND m.merged_into IS NOT NULL) GROUP BY 1, 2),
act AS (SELECT x.cohort, x.period, count(*) AS active
        FROM (SELECT op.period, min(op.period) OVER w AS cohort, min(op.first) OVER w AS first FROM op
              WINDOW w AS (PARTITION BY op.profile_id)) x WHERE x.first >= $6::timestamptz
        GROUP BY x.cohort, x.period),
sizes AS (SELECT act.cohort, act.active AS customers FROM act WHERE act.period = act.cohort)
SELECT extract(epoch FROM s.cohort)::text, (gs.n - 1)::text, s.customers::text, COALESCE(a.active, 0)::text, (COALESCE(a.active, 0)::numeric / s.customers)::text
FROM sizes s
CROSS JOIN LATERAL generate_series(s.cohort, date_trunc('week', $5::timestamptz), interval '1 week') WITH ORDINALITY AS gs(period, n)
LEFT JOIN act a ON a.cohort = s.cohort AND a.period = gs.period
ORDER BY s.cohort, gs.n;
