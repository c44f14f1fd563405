-- columns: count number
SELECT count(*)::text AS c1
FROM profiles p
WHERE p.merged_into IS NULL;

-- columns: count number
SELECT count(*)::text AS c1
FROM profiles p
WHERE p.merged_into IS NULL;

-- columns: count number
-- $1 = jsonb {"plan":"pro"}
SELECT count(*)::text AS c1
FROM profiles p
WHERE p.merged_into IS NULL
  AND p.traits @> $1::jsonb;

-- columns: count number
-- $1 = text "signup"
SELECT count(*)::text AS c1
FROM events e
WHERE (e.name = $1);

-- columns: count number
-- $1 = text "purchase"
-- $2 = timestamptz now
-- $3 = interval 90 days
-- $4 = jsonb {"country":"FR"}
SELECT count(*)::text AS c1
FROM profiles p
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = $1 AND e.ts >= ($2::timestamptz - $3::interval) AND e.ts <= $2::timestamptz)
  AND p.traits @> $4::jsonb;

-- columns: count number
-- $1 = text "email"
-- $2 = text "phone"
SELECT count(*)::text AS c1
FROM profiles p
WHERE p.merged_into IS NULL
  AND ((SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $1 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) IS NULL)
  AND ((SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $2 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) IS NULL);

-- columns: count number
-- $1 = text "screen"
SELECT count(*)::text AS c1
FROM events e
WHERE (e.type = $1);
