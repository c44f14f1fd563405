-- statement 9
-- columns: stage text, measure text, key text, value number
-- $1 = numeric 0.125
-- $2 = timestamptz now
-- $3 = text "amount"
-- $4 = text "purchase"
-- $5 = text "Order Completed"
-- $6 = text "discount"
-- $7 = text "coupon_applied"
-- $8 = numeric 0.1
-- $9 = numeric 0.26
-- $10 = numeric 0.61
-- $11 = numeric 0.81
-- $12 = text "referral"
-- $13 = bigint 0
-- $14 = text "nps"
-- $15 = text "score"
-- $16 = bigint 9
-- $17 = text "inspire"
-- $18 = interval 90 days
-- $19 = interval 180 days
-- $20 = text "retention"
-- $21 = bigint 2
-- $22 = text "development"
-- $23 = bigint 1
-- $24 = text "acquisition"
-- $25 = text "reach"
-- $26 = text "campaign"
-- $27 = numeric 0.2
-- $28 = text "portfolio"
-- $29 = text "intimacy"
-- $30 = text "network"
-- $31 = text "value proposition"
-- $32 = text "lifecycle"
-- $33 = text "profiles"
-- $34 = text "customers"
-- $35 = text "clv_total"
-- $36 = text "clv_mean"
-- $37 = text "top20_share"
-- $38 = text "tier_profiles"
-- $39 = text "tier_value"
-- $40 = text "identifiers_per_profile"
-- $41 = text "traits_per_profile"
-- $42 = text "sources_per_profile"
-- $43 = text "value"
-- $44 = text "events"
-- $45 = text "orders"
-- $46 = text "revenue"
-- $47 = text "conversion"
WITH c AS MATERIALIZED (SELECT ea.profile_id AS c1, round((COALESCE(ea.a1, 0) - COALESCE(ea.a2, 0))::numeric, 2) AS c2, COALESCE(ea.a3, 0) AS c3 FROM (SELECT e.profile_id, sum(((CASE e.name WHEN $4 THEN (CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END) WHEN $5 THEN (CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END) END))::float8 * power(1 + $1::numeric::float8, -(abs(extract(epoch FROM $2::timestamptz - e.ts))::float8 / 31557600))) FILTER (WHERE e.type = 'track' AND e.name IN ($4, $5)) AS a1, sum(((CASE WHEN jsonb_typeof(e.props -> $6) = 'number' THEN (e.props ->> $6)::numeric END))::float8 * power(1 + $1::numeric::float8, -(abs(extract(epoch FROM $2::timestamptz - e.ts))::float8 / 31557600))) FILTER (WHERE e.type = 'track' AND e.name = $7) AS a2, count(*) FILTER (WHERE e.type = 'track' AND e.name IN ($4, $5) AND (CASE e.name WHEN $4 THEN (CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END) WHEN $5 THEN (CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END) END) > 0) AS a3 FROM events e WHERE (e.type = 'track' AND e.name IN ($4, $5)) OR (e.type = 'track' AND e.name = $7) GROUP BY e.profile_id) ea WHERE NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = ea.profile_id AND m.merged_into IS NOT NULL)),
k AS MATERIALIZED (SELECT s.n, s.p, s.n - s.p - s.q AS z, s.total, ceil($8::numeric * s.n)::bigint AS b1, ceil($9::numeric * s.n)::bigint AS b2, ceil($10::numeric * s.n)::bigint AS b3, ceil($11::numeric * s.n)::bigint AS b4 FROM (
    SELECT ((SELECT count(*) FROM profiles) - (SELECT count(*) FROM profiles WHERE merged_into IS NOT NULL)) AS n, count(*) FILTER (WHERE c.c2 > 0) AS p,
           count(*) FILTER (WHERE c.c2 < 0) AS q, COALESCE(sum(c.c2), 0) AS total FROM c WHERE c.c2 <> 0) s),
r AS (SELECT c.c2 AS clv, row_number() OVER (ORDER BY c.c2 DESC, c.c1) + CASE WHEN c.c2 < 0 THEN k.z ELSE 0 END AS rn, k.n, k.b1, k.b2, k.b3, k.b4
      FROM c, k WHERE c.c2 <> 0),
a AS (SELECT k.n, (SELECT count(*) FROM c WHERE c.c3 > 0) AS customers, k.total,
             COALESCE((SELECT sum(r.clv) FROM r WHERE r.rn <= ceil($27::numeric * r.n)), 0) AS top FROM k)
SELECT u.stage, u.measure, u.key, u.value::text
FROM (
SELECT 1 AS o1, x.o2, 0 AS o3, NULL::text AS key, $28 AS stage, x.measure, x.value
FROM a CROSS JOIN LATERAL (VALUES (1, $33, a.n::numeric), (2, $34, a.customers::numeric),
    (3, $35, a.total), (4, $36, a.total / NULLIF(a.n, 0)),
    (5, $37, a.top / NULLIF(a.total, 0))) x(o2, measure, value)
UNION ALL
SELECT 1, 1 + x.o, 1 + tn.i, tn.name, $28, x.measure, x.value
FROM k CROSS JOIN LATERAL (VALUES (0, 'platinum', 0, ceil($8::numeric * k.n)), (1, 'gold', ceil($8::numeric * k.n), ceil($9::numeric * k.n)), (2, 'silver', ceil($9::numeric * k.n), ceil($10::numeric * k.n)), (3, 'bronze', ceil($10::numeric * k.n), ceil($11::numeric * k.n)), (4, 'lead', ceil($11::numeric * k.n), k.n)) tn(i, name, lo, hi)
LEFT JOIN (SELECT CASE WHEN r.rn <= r.b1 THEN 0 WHEN r.rn <= r.b2 THEN 1 WHEN r.rn <= r.b3 THEN 2 WHEN r.rn <= r.b4 THEN 3 ELSE 4 END AS i, count(*) AS n, sum(r.clv) AS value, min(r.clv) AS lo, max(r.clv) AS hi
           FROM r GROUP BY 1) g ON g.i = tn.i
CROSS JOIN LATERAL (SELECT greatest(0, least(tn.hi, k.p + k.z) - greatest(tn.lo, k.p)) AS zeros) zr
CROSS JOIN LATERAL (VALUES (0, $38, (COALESCE(g.n, 0) + zr.zeros)::numeric),
    (1, $39, COALESCE(g.value, 0))) x(o, measure, value)
UNION ALL
SELECT 2, x.o2, 0, NULL::text, $29, x.measure, x.value
FROM a CROSS JOIN LATERAL (VALUES
    (1, $40, (SELECT count(*) FROM identities i WHERE NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = i.profile_id AND m.merged_into IS NOT NULL))::numeric / NULLIF(a.n, 0)),
    (2, $41, (SELECT count(*) FROM profiles p
                            CROSS JOIN LATERAL jsonb_object_keys(CASE WHEN jsonb_typeof(p.traits) = 'object' THEN p.traits ELSE '{}' END) t
                            WHERE p.merged_into IS NULL)::numeric / NULLIF(a.n, 0)),
    (3, $42, (SELECT COALESCE(sum(v.sources), 0) FROM profile_summaries v)::numeric / NULLIF(a.n, 0))) x(o2, measure, value)
UNION ALL
SELECT 3, x.o2, 0, nw.source, $30, x.measure, x.value
FROM (SELECT s.source, sum(s.n) AS n, sum(s.customers) AS customers, sum(s.value) AS value
      FROM (SELECT NULLIF(v.first_source, '') AS source, count(*) AS n, count(*) FILTER (WHERE c.c3 > 0) AS customers,
                   COALESCE(sum(c.c2), 0) AS value
              FROM profile_summaries v LEFT JOIN c ON c.c1 = v.profile_id GROUP BY 1
            UNION ALL SELECT NULL, ((SELECT count(*) FROM profiles) - (SELECT count(*) FROM profiles WHERE merged_into IS NOT NULL)) - (SELECT count(*) FROM profile_summaries), 0, 0) s
      GROUP BY s.source HAVING sum(s.n) > 0) nw
CROSS JOIN LATERAL (VALUES (1, $33, nw.n::numeric), (2, $34, nw.customers::numeric),
    (3, $43, nw.value)) x(o2, measure, value)
UNION ALL
SELECT 4, x.o2, 0, vp.campaign, $31, x.measure, x.value
FROM (SELECT c.campaign, count(DISTINCT c.profile_id) AS profiles, count(*) AS events,
             count(*) FILTER (WHERE c.value > 0) AS orders, COALESCE(sum(c.value), 0) AS revenue
      FROM (SELECT e.profile_id, COALESCE((CASE WHEN jsonb_typeof(e.props -> $26) = 'string' THEN e.props ->> $26 END), CASE WHEN jsonb_typeof(e.context -> 'campaign' -> 'name') = 'string' THEN e.context -> 'campaign' ->> 'name' END) AS campaign, CASE WHEN e.type = 'track' AND e.name IN ($4, $5) THEN (CASE e.name WHEN $4 THEN (CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END) WHEN $5 THEN (CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END) END) END AS value FROM events e WHERE NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = e.profile_id AND m.merged_into IS NOT NULL)) c
      WHERE c.campaign IS NOT NULL GROUP BY c.campaign) vp
CROSS JOIN LATERAL (VALUES (1, $33, vp.profiles::numeric), (2, $44, vp.events::numeric),
    (3, $45, vp.orders::numeric), (4, $46, vp.revenue)) x(o2, measure, value)
UNION ALL
SELECT 5, x.o2, v.i, v.stage, $32, x.measure, x.value
FROM (SELECT count(*) FILTER (WHERE q.si = 1) AS p1, count(*) FILTER (WHERE q.si >= 1) AS r1, count(*) FILTER (WHERE q.si = 2) AS p2, count(*) FILTER (WHERE q.si >= 2) AS r2, count(*) FILTER (WHERE q.si = 3) AS p3, count(*) FILTER (WHERE q.si >= 3) AS r3, count(*) FILTER (WHERE q.si = 4) AS p4, count(*) FILTER (WHERE q.si >= 4) AS r4, count(*) FILTER (WHERE q.si = 5) AS p5, count(*) FILTER (WHERE q.si >= 5) AS r5 FROM (SELECT CASE q.c2 WHEN $25 THEN 1 WHEN $24 THEN 2 WHEN $22 THEN 3 WHEN $20 THEN 4 WHEN $17 THEN 5 END AS si FROM (SELECT ea.profile_id AS c1, (CASE WHEN ((COALESCE(ea.a1, 0) > $13::bigint) OR (COALESCE(ea.a2, 0) > $13::bigint)) THEN $17 WHEN ((ea.a3 >= ($2::timestamptz - $18::interval)) AND (ea.a4 < ($2::timestamptz - $19::interval))) THEN $20 WHEN (COALESCE(ea.a5, 0) >= $21::bigint) THEN $22 WHEN (COALESCE(ea.a5, 0) >= $23::bigint) THEN $24 WHEN (COALESCE(ea.a6, 0) > $13::bigint) THEN $25 END) AS c2 FROM (SELECT v.profile_id, v.events AS a6, s.a1 AS a1, r.a2 AS a2, r.a3 AS a3, r.a4 AS a4, r.a5 AS a5 FROM profile_summaries v LEFT JOIN (SELECT e.profile_id, coalesce(sum(e.events), 0)::bigint AS a1 FROM event_summaries e WHERE e.type = 'track' AND e.name = $12 GROUP BY e.profile_id) s ON s.profile_id = v.profile_id LEFT JOIN (SELECT e.profile_id, count(*) FILTER (WHERE e.type = 'track' AND e.name = $14 AND ((CASE WHEN jsonb_typeof(e.props -> $15) = 'number' THEN (e.props ->> $15)::numeric END) >= $16::bigint)) AS a2, max(e.ts) FILTER (WHERE e.type = 'track' AND e.name IN ($4, $5) AND (CASE e.name WHEN $4 THEN (CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END) WHEN $5 THEN (CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END) END) > 0) AS a3, min(e.ts) FILTER (WHERE e.type = 'track' AND e.name IN ($4, $5) AND (CASE e.name WHEN $4 THEN (CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END) WHEN $5 THEN (CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END) END) > 0) AS a4, count(*) FILTER (WHERE e.type = 'track' AND e.name IN ($4, $5) AND (CASE e.name WHEN $4 THEN (CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END) WHEN $5 THEN (CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END) END) > 0) AS a5 FROM events e WHERE (e.type = 'track' AND e.name = $14 AND ((CASE WHEN jsonb_typeof(e.props -> $15) = 'number' THEN (e.props ->> $15)::numeric END) >= $16::bigint)) OR (e.type = 'track' AND e.name IN ($4, $5)) GROUP BY e.profile_id) r ON r.profile_id = v.profile_id) ea OFFSET 0) q WHERE q.c2 IS NOT NULL OFFSET 0) q) g
CROSS JOIN LATERAL (VALUES (1, $25, g.p1, g.r1, g.r2::numeric / NULLIF(g.r1, 0)), (2, $24, g.p2, g.r2, g.r3::numeric / NULLIF(g.r2, 0)), (3, $22, g.p3, g.r3, g.r4::numeric / NULLIF(g.r3, 0)), (4, $20, g.p4, g.r4, g.r5::numeric / NULLIF(g.r4, 0)), (5, $17, g.p5, g.r5, NULL::numeric)) v(i, stage, profiles, reached, conversion)
CROSS JOIN LATERAL (VALUES (1, $33, v.profiles::numeric), (2, $47, v.conversion)) x(o2, measure, value)
) u(o1, o2, o3, key, stage, measure, value)
ORDER BY u.o1, u.o3, u.key COLLATE "C" NULLS LAST, u.o2;
