-- columns: count number
SELECT count(*)::text AS c1
FROM profiles p
WHERE p.merged_into IS NULL;

-- columns: count number
SELECT count(*)::text AS c1
FROM profiles p
WHERE p.merged_into IS NULL;

-- columns: count number
-- $1 = text "plan"
-- $2 = text "pro"
SELECT count(*)::text AS c1
FROM profiles p
WHERE p.merged_into IS NULL
  AND ((CASE WHEN jsonb_typeof(p.traits -> $1) = 'string' THEN p.traits ->> $1 END) = $2);

-- columns: count number
-- $1 = text "signup"
SELECT count(*)::text AS c1
FROM events e
WHERE (e.name = $1);

-- columns: count number
-- $1 = text "purchase"
-- $2 = timestamptz now
-- $3 = interval 90 days
-- $4 = bigint 0
-- $5 = text "country"
-- $6 = text "FR"
SELECT count(*)::text AS c1
FROM profiles p
LEFT JOIN (SELECT e.profile_id, count(*) FILTER (WHERE e.type = 'track' AND e.name = $1 AND e.ts >= ($2::timestamptz - $3::interval) AND e.ts <= $2::timestamptz) AS a1 FROM events e WHERE e.type = 'track' AND e.name = $1 AND e.ts >= ($2::timestamptz - $3::interval) AND e.ts <= $2::timestamptz GROUP BY e.profile_id) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL
  AND (COALESCE(ea.a1, 0) > $4::bigint)
  AND ((CASE WHEN jsonb_typeof(p.traits -> $5) = 'string' THEN p.traits ->> $5 END) = $6);

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
