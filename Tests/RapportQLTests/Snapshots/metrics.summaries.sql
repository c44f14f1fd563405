-- save metric spent_90d = sum(purchase.amount within 90 days)

-- save metric order_count = count(purchase)

-- save metric avg_basket = sum(purchase.amount) / count(purchase)

-- save metric recent_share = spent_90d / sum(purchase.amount)
-- uses spent_90d

-- columns: id number, email text, spent_90d number, order_count number
-- $1 = text "purchase"
-- $2 = timestamptz now
-- $3 = interval 90 days
-- $4 = text "amount"
-- $5 = bigint 300
-- $6 = text "email"
SELECT (p.id)::text AS c1, (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $6 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c2, (COALESCE((sum((CASE WHEN jsonb_typeof(e.props -> $4) = 'number' THEN (e.props ->> $4)::numeric END)) FILTER (WHERE e.type = 'track' AND e.name = $1 AND e.ts >= ($2::timestamptz - $3::interval) AND e.ts <= $2::timestamptz)), 0))::text AS c3, (COALESCE((count(*) FILTER (WHERE e.type = 'track' AND e.name = $1)), 0))::text AS c4
FROM profiles p
JOIN events e ON e.profile_id = p.id AND (e.type = 'track' AND e.name = $1)
WHERE p.merged_into IS NULL
GROUP BY p.id
HAVING (COALESCE((sum((CASE WHEN jsonb_typeof(e.props -> $4) = 'number' THEN (e.props ->> $4)::numeric END)) FILTER (WHERE e.type = 'track' AND e.name = $1 AND e.ts >= ($2::timestamptz - $3::interval) AND e.ts <= $2::timestamptz)), 0) > $5::bigint)
ORDER BY COALESCE((sum((CASE WHEN jsonb_typeof(e.props -> $4) = 'number' THEN (e.props ->> $4)::numeric END)) FILTER (WHERE e.type = 'track' AND e.name = $1 AND e.ts >= ($2::timestamptz - $3::interval) AND e.ts <= $2::timestamptz)), 0) DESC NULLS LAST, p.id;

-- columns: id number, avg_basket number, recent_share number
-- $1 = text "purchase"
-- $2 = bigint 3
-- $3 = text "amount"
-- $4 = timestamptz now
-- $5 = interval 90 days
SELECT (p.id)::text AS c1, (((COALESCE((sum((CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END)) FILTER (WHERE e.type = 'track' AND e.name = $1)), 0))::numeric / NULLIF(COALESCE((count(*) FILTER (WHERE e.type = 'track' AND e.name = $1)), 0), 0)))::text AS c2, (((COALESCE((sum((CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END)) FILTER (WHERE e.type = 'track' AND e.name = $1 AND e.ts >= ($4::timestamptz - $5::interval) AND e.ts <= $4::timestamptz)), 0))::numeric / NULLIF(COALESCE((sum((CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END)) FILTER (WHERE e.type = 'track' AND e.name = $1)), 0), 0)))::text AS c3
FROM profiles p
JOIN events e ON e.profile_id = p.id AND (e.type = 'track' AND e.name = $1)
WHERE p.merged_into IS NULL
GROUP BY p.id
HAVING (COALESCE((count(*) FILTER (WHERE e.type = 'track' AND e.name = $1)), 0) >= $2::bigint)
ORDER BY ((COALESCE((sum((CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END)) FILTER (WHERE e.type = 'track' AND e.name = $1)), 0))::numeric / NULLIF(COALESCE((count(*) FILTER (WHERE e.type = 'track' AND e.name = $1)), 0), 0)) DESC NULLS LAST, p.id
LIMIT 10;

-- columns: plan text, total number, people number, average number
-- $1 = text "plan"
-- $2 = text "purchase"
-- $3 = timestamptz now
-- $4 = interval 90 days
-- $5 = text "amount"
SELECT q.c1 AS c1, (COALESCE(sum(q.c2), 0))::text AS c2, (count(*))::text AS c3, (avg(q.c2))::text AS c4
FROM (SELECT (CASE WHEN jsonb_typeof(p.traits -> $1) = 'string' THEN p.traits ->> $1 END) AS c1, COALESCE(ea.a1, 0) AS c2, p.id AS t1
FROM profiles p
LEFT JOIN (SELECT e.profile_id, sum((CASE WHEN jsonb_typeof(e.props -> $5) = 'number' THEN (e.props ->> $5)::numeric END)) AS a1 FROM events e WHERE e.type = 'track' AND e.name = $2 AND e.ts >= ($3::timestamptz - $4::interval) AND e.ts <= $3::timestamptz GROUP BY e.profile_id) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL) q
GROUP BY q.c1
ORDER BY q.c1 COLLATE "C" NULLS LAST;

-- show metrics

-- describe avg_basket

-- drop metric recent_share
