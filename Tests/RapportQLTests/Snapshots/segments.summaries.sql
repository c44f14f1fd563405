-- save segment buyers = profiles | where did purchase

-- save segment recent_buyers = profiles | where in buyers and did purchase within 90 days
-- uses buyers

-- save segment lapsed = segment buyers | where not did purchase within 90 days | where not did login within 60 days
-- uses buyers

-- save segment german = profiles | where country = "DE"

-- columns: id number, user_id text, email text
-- $1 = text "purchase"
-- $2 = timestamptz now
-- $3 = interval 90 days
-- $4 = text "user_id"
-- $5 = text "email"
SELECT (p.id)::text AS c1, (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $4 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c2, (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $5 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c3
FROM profiles p
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM event_summaries e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = $1)
  AND EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = $1 AND e.ts >= ($2::timestamptz - $3::interval) AND e.ts <= $2::timestamptz)
ORDER BY p.id;

-- columns: id number, email text, last_purchase timestamp
-- $1 = text "purchase"
-- $2 = timestamptz now
-- $3 = interval 90 days
-- $4 = text "login"
-- $5 = interval 60 days
-- $6 = text "email"
SELECT (p.id)::text AS c1, (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $6 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c2, extract(epoch FROM (ea.a1))::text AS c3
FROM profiles p
LEFT JOIN (SELECT e.profile_id, max(e.last_ts) AS a1 FROM event_summaries e WHERE e.type = 'track' AND e.name = $1 GROUP BY e.profile_id) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM event_summaries e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = $1)
  AND NOT EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = $1 AND e.ts >= ($2::timestamptz - $3::interval) AND e.ts <= $2::timestamptz)
  AND NOT EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = $4 AND e.ts >= ($2::timestamptz - $5::interval) AND e.ts <= $2::timestamptz)
ORDER BY ea.a1 NULLS LAST, p.id;

-- columns: count number
-- $1 = text "purchase"
-- $2 = text "country"
-- $3 = text "DE"
SELECT count(*)::text AS c1
FROM profiles p
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM event_summaries e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = $1)
  AND (NOT COALESCE(((CASE WHEN jsonb_typeof(p.traits -> $2) = 'string' THEN p.traits ->> $2 END) = $3), FALSE));

-- columns: count number
-- $1 = text "purchase"
-- $2 = text "country"
-- $3 = text "DE"
SELECT count(*)::text AS c1
FROM profiles p
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM event_summaries e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = $1)
  AND (NOT ((CASE WHEN jsonb_typeof(p.traits -> $2) = 'string' THEN p.traits ->> $2 END) = $3));

-- columns: count number
-- $1 = text "purchase"
-- $2 = timestamptz now
-- $3 = interval 90 days
-- $4 = jsonb {"plan":"pro"}
SELECT count(*)::text AS c1
FROM profiles p
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM event_summaries e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = $1)
  AND EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = $1 AND e.ts >= ($2::timestamptz - $3::interval) AND e.ts <= $2::timestamptz)
  AND p.traits @> $4::jsonb;

-- show segments

-- describe lapsed

-- drop segment lapsed
