-- save setting value.revenue = purchase.amount, `Order Completed`.amount

-- save setting value.cost = coupon_applied.discount

-- save setting value.discount = 12.5%

-- save setting value.tiers = 10%, 16%, 35%, 20%

-- columns: setting text, value text, default boolean
-- $1 = text "revenue"
-- $2 = text "purchase.amount, `Order Completed`.amount"
-- $3 = text "cost"
-- $4 = text "coupon_applied.discount"
-- $5 = text "discount"
-- $6 = text "12.5%"
-- $7 = text "tiers"
-- $8 = text "10%, 16%, 35%, 20%"
SELECT s.setting, s.value, s.is_default::text FROM (VALUES ($1, $2, FALSE), ($3, $4, FALSE), ($5, $6, FALSE), ($7, $8, FALSE)) s(setting, value, is_default);

-- columns: tier text, profiles number, share number, value number, value_share number, min_clv number, max_clv number
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
WITH r AS (SELECT q.*, row_number() OVER (ORDER BY q.c2 DESC, q.c1) AS rn, count(*) OVER () AS n FROM (SELECT p.id AS c1, round((COALESCE(ea.a1, 0) - COALESCE(ea.a2, 0))::numeric, 2) AS c2, p.id AS t1
FROM profiles p
LEFT JOIN (SELECT e.profile_id, sum(((CASE e.name WHEN $4 THEN (CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END) WHEN $5 THEN (CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END) END))::float8 * power(1 + $1::numeric::float8, -(abs(extract(epoch FROM $2::timestamptz - e.ts))::float8 / 31557600))) FILTER (WHERE e.type = 'track' AND e.name IN ($4, $5)) AS a1, sum(((CASE WHEN jsonb_typeof(e.props -> $6) = 'number' THEN (e.props ->> $6)::numeric END))::float8 * power(1 + $1::numeric::float8, -(abs(extract(epoch FROM $2::timestamptz - e.ts))::float8 / 31557600))) FILTER (WHERE e.type = 'track' AND e.name = $7) AS a2 FROM events e WHERE (e.type = 'track' AND e.name IN ($4, $5)) OR (e.type = 'track' AND e.name = $7) GROUP BY e.profile_id) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL) q),
t AS (SELECT CASE WHEN r.rn - 1 < $8::numeric * r.n THEN 0 WHEN r.rn - 1 < $9::numeric * r.n THEN 1 WHEN r.rn - 1 < $10::numeric * r.n THEN 2 WHEN r.rn - 1 < $11::numeric * r.n THEN 3 ELSE 4 END AS i, r.c2 AS clv FROM r r),
a AS (SELECT count(*) AS n, COALESCE(sum(r.c2), 0) AS total FROM r)
SELECT tn.name, count(t.clv)::text, (count(t.clv)::numeric / NULLIF(min(a.n), 0))::text, COALESCE(sum(t.clv), 0)::text,
       (COALESCE(sum(t.clv), 0) / NULLIF(min(a.total), 0))::text, min(t.clv)::text, max(t.clv)::text
FROM (VALUES (0, 'platinum'), (1, 'gold'), (2, 'silver'), (3, 'bronze'), (4, 'lead')) tn(i, name) CROSS JOIN a LEFT JOIN t ON t.i = tn.i
GROUP BY tn.i, tn.name
ORDER BY tn.i;

-- columns: top number, profiles number, value number, total number, share number
-- $1 = numeric 0.125
-- $2 = timestamptz now
-- $3 = text "amount"
-- $4 = text "purchase"
-- $5 = text "Order Completed"
-- $6 = text "discount"
-- $7 = text "coupon_applied"
-- $8 = numeric 0.2
WITH r AS (SELECT q.*, row_number() OVER (ORDER BY q.c2 DESC, q.c1) AS rn, count(*) OVER () AS n FROM (SELECT p.id AS c1, round((COALESCE(ea.a1, 0) - COALESCE(ea.a2, 0))::numeric, 2) AS c2, p.id AS t1
FROM profiles p
LEFT JOIN (SELECT e.profile_id, sum(((CASE e.name WHEN $4 THEN (CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END) WHEN $5 THEN (CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END) END))::float8 * power(1 + $1::numeric::float8, -(abs(extract(epoch FROM $2::timestamptz - e.ts))::float8 / 31557600))) FILTER (WHERE e.type = 'track' AND e.name IN ($4, $5)) AS a1, sum(((CASE WHEN jsonb_typeof(e.props -> $6) = 'number' THEN (e.props ->> $6)::numeric END))::float8 * power(1 + $1::numeric::float8, -(abs(extract(epoch FROM $2::timestamptz - e.ts))::float8 / 31557600))) FILTER (WHERE e.type = 'track' AND e.name = $7) AS a2 FROM events e WHERE (e.type = 'track' AND e.name IN ($4, $5)) OR (e.type = 'track' AND e.name = $7) GROUP BY e.profile_id) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL) q)
SELECT $8::numeric::text, k::text, value::text, total::text, (value / NULLIF(total, 0))::text
FROM (SELECT ceil($8::numeric * count(*))::bigint AS k,
             COALESCE(sum(r.c2) FILTER (WHERE r.rn <= ceil($8::numeric * r.n)), 0) AS value,
             COALESCE(sum(r.c2), 0) AS total
      FROM r) s;

-- columns: top number, profiles number, value number, total number, share number
-- $1 = numeric 0.125
-- $2 = timestamptz now
-- $3 = text "amount"
-- $4 = text "purchase"
-- $5 = text "Order Completed"
-- $6 = text "discount"
-- $7 = text "coupon_applied"
-- $8 = numeric 0.1
WITH r AS (SELECT q.*, row_number() OVER (ORDER BY q.c2 DESC, q.c1) AS rn, count(*) OVER () AS n FROM (SELECT p.id AS c1, round((COALESCE(ea.a1, 0) - COALESCE(ea.a2, 0))::numeric, 2) AS c2, p.id AS t1
FROM profiles p
LEFT JOIN (SELECT e.profile_id, sum(((CASE e.name WHEN $4 THEN (CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END) WHEN $5 THEN (CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END) END))::float8 * power(1 + $1::numeric::float8, -(abs(extract(epoch FROM $2::timestamptz - e.ts))::float8 / 31557600))) FILTER (WHERE e.type = 'track' AND e.name IN ($4, $5)) AS a1, sum(((CASE WHEN jsonb_typeof(e.props -> $6) = 'number' THEN (e.props ->> $6)::numeric END))::float8 * power(1 + $1::numeric::float8, -(abs(extract(epoch FROM $2::timestamptz - e.ts))::float8 / 31557600))) FILTER (WHERE e.type = 'track' AND e.name = $7) AS a2 FROM events e WHERE (e.type = 'track' AND e.name IN ($4, $5)) OR (e.type = 'track' AND e.name = $7) GROUP BY e.profile_id) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL) q)
SELECT $8::numeric::text, k::text, value::text, total::text, (value / NULLIF(total, 0))::text
FROM (SELECT ceil($8::numeric * count(*))::bigint AS k,
             COALESCE(sum(r.c2) FILTER (WHERE r.rn <= ceil($8::numeric * r.n)), 0) AS value,
             COALESCE(sum(r.c2), 0) AS total
      FROM r) s;

-- columns: stage text, measure text, key text, value number
-- $1 = numeric 0.125
-- $2 = timestamptz now
-- $3 = text "amount"
-- $4 = text "purchase"
-- $5 = text "Order Completed"
-- $6 = text "discount"
-- $7 = text "coupon_applied"
-- $8 = text "referral"
-- $9 = bigint 0
-- $10 = text "nps"
-- $11 = text "score"
-- $12 = bigint 9
-- $13 = text "inspire"
-- $14 = interval 90 days
-- $15 = interval 180 days
-- $16 = text "retention"
-- $17 = bigint 2
-- $18 = text "development"
-- $19 = bigint 1
-- $20 = text "acquisition"
-- $21 = text "reach"
-- $22 = numeric 0.1
-- $23 = numeric 0.26
-- $24 = numeric 0.61
-- $25 = numeric 0.81
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
WITH r AS (SELECT q.*, row_number() OVER (ORDER BY q.c2 DESC, q.c1) AS rn, count(*) OVER () AS n FROM (SELECT p.id AS c1, round((COALESCE(ea.a1, 0) - COALESCE(ea.a2, 0))::numeric, 2) AS c2, COALESCE(ea.a3, 0) AS c3, (CASE WHEN COALESCE(((COALESCE(ea.a4, 0) > $9::bigint) OR (COALESCE(ea.a5, 0) > $9::bigint)), FALSE) THEN $13 WHEN COALESCE(((ea.a6 >= ($2::timestamptz - $14::interval)) AND (ea.a7 < ($2::timestamptz - $15::interval))), FALSE) THEN $16 WHEN COALESCE((COALESCE(ea.a3, 0) >= $17::bigint), FALSE) THEN $18 WHEN COALESCE((COALESCE(ea.a3, 0) >= $19::bigint), FALSE) THEN $20 WHEN COALESCE((COALESCE(ea.a8, 0) > $9::bigint), FALSE) THEN $21 END) AS c4, p.id AS t1
FROM profiles p
LEFT JOIN (SELECT e.profile_id, sum(((CASE e.name WHEN $4 THEN (CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END) WHEN $5 THEN (CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END) END))::float8 * power(1 + $1::numeric::float8, -(abs(extract(epoch FROM $2::timestamptz - e.ts))::float8 / 31557600))) FILTER (WHERE e.type = 'track' AND e.name IN ($4, $5)) AS a1, sum(((CASE WHEN jsonb_typeof(e.props -> $6) = 'number' THEN (e.props ->> $6)::numeric END))::float8 * power(1 + $1::numeric::float8, -(abs(extract(epoch FROM $2::timestamptz - e.ts))::float8 / 31557600))) FILTER (WHERE e.type = 'track' AND e.name = $7) AS a2, count(*) FILTER (WHERE e.type = 'track' AND e.name IN ($4, $5) AND (CASE e.name WHEN $4 THEN (CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END) WHEN $5 THEN (CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END) END) > 0) AS a3, count(*) FILTER (WHERE e.type = 'track' AND e.name = $8) AS a4, count(*) FILTER (WHERE e.type = 'track' AND e.name = $10 AND ((CASE WHEN jsonb_typeof(e.props -> $11) = 'number' THEN (e.props ->> $11)::numeric END) >= $12::bigint)) AS a5, max(e.ts) FILTER (WHERE e.type = 'track' AND e.name IN ($4, $5) AND (CASE e.name WHEN $4 THEN (CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END) WHEN $5 THEN (CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END) END) > 0) AS a6, min(e.ts) FILTER (WHERE e.type = 'track' AND e.name IN ($4, $5) AND (CASE e.name WHEN $4 THEN (CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END) WHEN $5 THEN (CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END) END) > 0) AS a7, count(*) AS a8 FROM events e GROUP BY e.profile_id) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL) q),
t AS (SELECT CASE WHEN r.rn - 1 < $22::numeric * r.n THEN 0 WHEN r.rn - 1 < $23::numeric * r.n THEN 1 WHEN r.rn - 1 < $24::numeric * r.n THEN 2 WHEN r.rn - 1 < $25::numeric * r.n THEN 3 ELSE 4 END AS i, r.c2 AS clv FROM r r),
a AS (SELECT count(*) AS n, count(*) FILTER (WHERE r.c3 > 0) AS customers, COALESCE(sum(r.c2), 0) AS total,
             COALESCE(sum(r.c2) FILTER (WHERE r.rn <= ceil($27::numeric * r.n)), 0) AS top FROM r)
SELECT u.stage, u.measure, u.key, u.value::text FROM (
SELECT 1 AS o1, x.o2, 0 AS o3, NULL::text AS key, $28 AS stage, x.measure, x.value
FROM a CROSS JOIN LATERAL (VALUES (1, $33, a.n::numeric), (2, $34, a.customers::numeric),
    (3, $35, a.total), (4, $36, a.total / NULLIF(a.n, 0)),
    (5, $37, a.top / NULLIF(a.total, 0))) x(o2, measure, value)
UNION ALL
SELECT 1, 1 + x.o, 1 + tn.i, tn.name, $28, x.measure, x.value
FROM (VALUES (0, 'platinum'), (1, 'gold'), (2, 'silver'), (3, 'bronze'), (4, 'lead')) tn(i, name) LEFT JOIN (SELECT t.i, count(*) AS n, sum(t.clv) AS value FROM t GROUP BY t.i) tv ON tv.i = tn.i
CROSS JOIN LATERAL (VALUES (0, $38, COALESCE(tv.n, 0)::numeric), (1, $39, COALESCE(tv.value, 0))) x(o, measure, value)
UNION ALL
SELECT 2, x.o2, 0, NULL::text, $29, x.measure, x.value
FROM a CROSS JOIN LATERAL (VALUES
    (1, $40, (SELECT count(*) FROM identities i WHERE NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = i.profile_id AND m.merged_into IS NOT NULL))::numeric / NULLIF(a.n, 0)),
    (2, $41, (SELECT COALESCE(sum((SELECT count(*) FROM jsonb_object_keys(CASE WHEN jsonb_typeof(p.traits) = 'object' THEN p.traits ELSE '{}' END))), 0)
                            FROM profiles p WHERE p.merged_into IS NULL)::numeric / NULLIF(a.n, 0)),
    (3, $42, (SELECT count(*) FROM (SELECT DISTINCT e.profile_id, e.source FROM events e
                            WHERE e.source IS NOT NULL AND NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = e.profile_id AND m.merged_into IS NOT NULL)) d)::numeric / NULLIF(a.n, 0))) x(o2, measure, value)
UNION ALL
SELECT 3, x.o2, 0, nw.source, $30, x.measure, x.value
FROM (SELECT acq.source, count(*) AS n, count(*) FILTER (WHERE r.c3 > 0) AS customers, sum(r.c2) AS value
      FROM r LEFT JOIN (SELECT DISTINCT ON (e.profile_id) e.profile_id, e.source FROM events e
                        ORDER BY e.profile_id, e.ts, e.message_id COLLATE "C") acq ON acq.profile_id = r.c1
      GROUP BY acq.source) nw
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
FROM (SELECT count(*) FILTER (WHERE r.si = 1) AS p1, count(*) FILTER (WHERE r.si >= 1) AS r1, count(*) FILTER (WHERE r.si = 2) AS p2, count(*) FILTER (WHERE r.si >= 2) AS r2, count(*) FILTER (WHERE r.si = 3) AS p3, count(*) FILTER (WHERE r.si >= 3) AS r3, count(*) FILTER (WHERE r.si = 4) AS p4, count(*) FILTER (WHERE r.si >= 4) AS r4, count(*) FILTER (WHERE r.si = 5) AS p5, count(*) FILTER (WHERE r.si >= 5) AS r5 FROM (SELECT CASE r.c4 WHEN $21 THEN 1 WHEN $20 THEN 2 WHEN $18 THEN 3 WHEN $16 THEN 4 WHEN $13 THEN 5 END AS si FROM r WHERE r.c4 IS NOT NULL) r) g
CROSS JOIN LATERAL (VALUES (1, $21, g.p1, g.r1, g.r2::numeric / NULLIF(g.r1, 0)), (2, $20, g.p2, g.r2, g.r3::numeric / NULLIF(g.r2, 0)), (3, $18, g.p3, g.r3, g.r4::numeric / NULLIF(g.r3, 0)), (4, $16, g.p4, g.r4, g.r5::numeric / NULLIF(g.r4, 0)), (5, $13, g.p5, g.r5, NULL::numeric)) v(i, stage, profiles, reached, conversion)
CROSS JOIN LATERAL (VALUES (1, $33, v.profiles::numeric), (2, $47, v.conversion)) x(o2, measure, value)
) u(o1, o2, o3, key, stage, measure, value)
ORDER BY u.o1, u.o3, u.key COLLATE "C" NULLS LAST, u.o2;
