-- show traits

-- show events

-- save segment pros = profiles | where plan = "pro"

-- save metric lifetime_spend = sum(purchase.amount)

-- show segments

-- show metrics

-- describe pros

-- describe lifetime_spend

-- explain
-- columns: email text, lifetime_spend number
-- $1 = text "plan"
-- $2 = text "pro"
-- $3 = text "purchase"
-- $4 = timestamptz now
-- $5 = interval 90 days
-- $6 = text "email"
-- $7 = text "amount"
SELECT (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $6 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c1, (COALESCE(ea.a1, 0))::text AS c2
FROM profiles p
LEFT JOIN (SELECT e.profile_id, sum((CASE WHEN jsonb_typeof(e.props -> $7) = 'number' THEN (e.props ->> $7)::numeric END)) FILTER (WHERE e.type = 'track' AND e.name = $3) AS a1 FROM events e WHERE e.type = 'track' AND e.name = $3 GROUP BY e.profile_id) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL
  AND COALESCE(((CASE WHEN jsonb_typeof(p.traits -> $1) = 'string' THEN p.traits ->> $1 END) = $2), FALSE)
  AND EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = $3 AND e.ts >= ($4::timestamptz - $5::interval) AND e.ts <= $4::timestamptz)
ORDER BY COALESCE(ea.a1, 0) DESC NULLS LAST, p.id
LIMIT 10;

-- explain analyze
-- columns: count number
-- $1 = text "login"
-- $2 = timestamptz now
-- $3 = interval 7 days
SELECT count(*)::text AS c1
FROM events e
WHERE ((e.name = $1) AND (e.ts >= ($2::timestamptz - $3::interval) AND e.ts <= $2::timestamptz));

-- drop segment pros

-- drop metric lifetime_spend
