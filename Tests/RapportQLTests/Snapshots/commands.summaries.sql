-- statement 9
-- explain
-- columns: email text, lifetime_spend number
-- $1 = jsonb {"plan":"pro"}
-- $2 = text "purchase"
-- $3 = timestamptz now
-- $4 = interval 90 days
-- $5 = text "email"
-- $6 = text "amount"
SELECT (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $5 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c1, (COALESCE(ea.a1, 0))::text AS c2
FROM profiles p
LEFT JOIN (SELECT e.profile_id, sum(e.revenue) AS a1 FROM event_summaries e WHERE e.type = 'track' AND e.name = $2 GROUP BY e.profile_id) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL
  AND p.traits @> $1::jsonb
  AND EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = $2 AND e.ts >= ($3::timestamptz - $4::interval) AND e.ts <= $3::timestamptz)
ORDER BY COALESCE(ea.a1, 0) DESC NULLS LAST, p.id
LIMIT 10;
