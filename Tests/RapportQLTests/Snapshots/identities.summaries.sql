-- columns: id number, user_id text, email text, phone text
-- $1 = text "felix.brown80@example.com"
-- $2 = text "email"
-- $3 = text "user_id"
-- $4 = text "phone"
SELECT (p.id)::text AS c1, (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $3 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c2, (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $2 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c3, (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $4 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c4
FROM profiles p
WHERE p.merged_into IS NULL
  AND p.id IN (SELECT i.profile_id FROM identities i WHERE i.kind = $2 AND i.value = $1)
ORDER BY p.id;

-- columns: id number, email text
-- $1 = text "sam.fischer49@example.com"
-- $2 = text "quentin69@work.example.net"
-- $3 = text "email"
SELECT (p.id)::text AS c1, (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $3 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c2
FROM profiles p
WHERE p.merged_into IS NULL
  AND p.id IN (SELECT i.profile_id FROM identities i WHERE i.kind = $3 AND i.value IN ($1, $2))
ORDER BY p.id;

-- columns: id number, email text, phone text
-- $1 = text "phone"
-- $2 = text "49305550069"
-- $3 = text "0049305550089"
-- $4 = text "email"
SELECT (p.id)::text AS c1, (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $4 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c2, (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $1 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c3
FROM profiles p
WHERE p.merged_into IS NULL
  AND ((SELECT bool_or(i.value = $2) FROM identities i WHERE i.profile_id = p.id AND i.kind = $1) OR (SELECT bool_or(i.value = $3) FROM identities i WHERE i.profile_id = p.id AND i.kind = $1))
ORDER BY p.id;

-- columns: id number, anonymous_id text, first_seen timestamp
-- $1 = text "email"
-- $2 = text "user_id"
-- $3 = text "anonymous_id"
SELECT (p.id)::text AS c1, (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $3 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c2, extract(epoch FROM (COALESCE(ea.a1, p.created_at)))::text AS c3
FROM profiles p
LEFT JOIN (SELECT e.profile_id, min(e.first_ts) AS a1 FROM event_summaries e GROUP BY e.profile_id) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL
  AND ((SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $1 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) IS NULL)
  AND ((SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $2 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) IS NULL)
ORDER BY p.id;

-- columns: id number, user_id text, email text
-- $1 = text "email"
-- $2 = text "@work.example.net"
-- $3 = text "user_id"
SELECT (p.id)::text AS c1, (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $3 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c2, (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $1 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c3
FROM profiles p
WHERE p.merged_into IS NULL
  AND (SELECT bool_or(strpos(i.value, $2) > 0) FROM identities i WHERE i.profile_id = p.id AND i.kind = $1)
ORDER BY p.id;

-- columns: count number
-- $1 = text "email"
-- $2 = text "felix80@work.example.net"
SELECT count(*)::text AS c1
FROM profiles p
WHERE p.merged_into IS NULL
  AND (NOT (SELECT bool_or(i.value = $2) FROM identities i WHERE i.profile_id = p.id AND i.kind = $1));

-- columns: id number, user_id text, anonymous_id text
-- $1 = text "anonymous_id"
-- $2 = text "ios-"
-- $3 = text "user_id"
SELECT (p.id)::text AS c1, (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $3 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c2, (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $1 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c3
FROM profiles p
WHERE p.merged_into IS NULL
  AND (SELECT bool_or(starts_with(i.value, $2)) FROM identities i WHERE i.profile_id = p.id AND i.kind = $1)
ORDER BY p.id
LIMIT 20;

-- columns: id number, email text, phone text
-- $1 = text "phone"
-- $2 = text "email"
-- $3 = text "darcy.brown41@example.com"
-- $4 = text "quentin.schmidt69@example.com"
SELECT (p.id)::text AS c1, (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $2 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c2, (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $1 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c3
FROM profiles p
WHERE p.merged_into IS NULL
  AND ((SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $1 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) IS NOT NULL)
  AND (NOT (SELECT bool_or(i.value IN ($3, $4)) FROM identities i WHERE i.profile_id = p.id AND i.kind = $2))
ORDER BY p.id;

-- columns: id number, user_id text
-- $1 = text "user_id"
-- $2 = text "^u-00[0-4][0-9]$"
SELECT (p.id)::text AS c1, (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $1 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c2
FROM profiles p
WHERE p.merged_into IS NULL
  AND (SELECT bool_or(i.value ~ $2) FROM identities i WHERE i.profile_id = p.id AND i.kind = $1)
ORDER BY (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $1 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) COLLATE "C" DESC NULLS LAST, p.id;

-- columns: id number, email text, purchases number, spent number, last_seen timestamp
-- $1 = text "email"
-- $2 = text "quentin.wagner114@example.com"
-- $3 = text "darcy.brown41@example.com"
-- $4 = text "purchase"
-- $5 = timestamptz now
-- $6 = interval 365 days
-- $7 = text "amount"
SELECT (p.id)::text AS c1, (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $1 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c2, (COALESCE(ea.a1, 0))::text AS c3, (COALESCE(ea.a2, 0))::text AS c4, extract(epoch FROM (COALESCE(ea.a3, p.created_at)))::text AS c5
FROM profiles p
LEFT JOIN LATERAL (SELECT count(*) FILTER (WHERE e.type = 'track' AND e.name = $4) AS a1, sum((CASE WHEN jsonb_typeof(e.props -> $7) = 'number' THEN (e.props ->> $7)::numeric END)) FILTER (WHERE e.type = 'track' AND e.name = $4 AND e.ts >= ($5::timestamptz - $6::interval) AND e.ts <= $5::timestamptz) AS a2, max(e.ts) AS a3 FROM events e WHERE e.profile_id = p.id) ea ON TRUE
WHERE p.merged_into IS NULL
  AND ((SELECT bool_or(i.value = $2) FROM identities i WHERE i.profile_id = p.id AND i.kind = $1) OR (SELECT bool_or(i.value = $3) FROM identities i WHERE i.profile_id = p.id AND i.kind = $1))
ORDER BY p.id;
