-- statement 5
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

-- statement 6
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

-- statement 7
-- columns: count number
-- $1 = text "purchase"
-- $2 = text "country"
-- $3 = text "DE"
SELECT count(*)::text AS c1
FROM profiles p
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM event_summaries e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = $1)
  AND (NOT COALESCE(((CASE WHEN jsonb_typeof(p.traits -> $2) = 'string' THEN p.traits ->> $2 END) = $3), FALSE));

-- statement 8
-- columns: count number
-- $1 = text "purchase"
-- $2 = text "country"
-- $3 = text "DE"
SELECT count(*)::text AS c1
FROM profiles p
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM event_summaries e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = $1)
  AND (NOT ((CASE WHEN jsonb_typeof(p.traits -> $2) = 'string' THEN p.traits ->> $2 END) = $3));

-- statement 9
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
