-- columns: id number, email text
-- $1 = jsonb {"plan":"pro"}
-- $2 = jsonb {"country":"DE"}
-- $3 = jsonb {"country":"FR"}
-- $4 = jsonb {"newsletter":true}
-- $5 = text "email"
SELECT (p.id)::text AS c1, (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $5 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c2
FROM profiles p
WHERE p.merged_into IS NULL
  AND p.traits @> $1::jsonb
  AND (p.traits @> $2::jsonb OR p.traits @> $3::jsonb)
  AND p.traits @> $4::jsonb
ORDER BY p.id DESC NULLS LAST, p.id
LIMIT 3;

-- columns: id number, company text
-- $1 = text "company"
-- $2 = text "O'Reilly \"Media\"; DROP TABLE profiles; --"
-- $3 = text "Robert'); DROP TABLE students;--"
SELECT (p.id)::text AS c1, (CASE WHEN jsonb_typeof(p.traits -> $1) = 'string' THEN p.traits ->> $1 END) AS c2
FROM profiles p
WHERE p.merged_into IS NULL
  AND (((CASE WHEN jsonb_typeof(p.traits -> $1) = 'string' THEN p.traits ->> $1 END) = $2) OR ((CASE WHEN jsonb_typeof(p.traits -> $1) = 'string' THEN p.traits ->> $1 END) = $3))
ORDER BY p.id;

-- columns: id number, first name text
-- $1 = jsonb {"first name":"Zoë"}
-- $2 = jsonb {"first name":"Renée"}
-- $3 = jsonb {"first name":"Sam 🚀"}
-- $4 = jsonb {"first name":"さくら"}
-- $5 = jsonb {"first name":"Léa"}
-- $6 = text "first name"
SELECT (p.id)::text AS c1, (CASE WHEN jsonb_typeof(p.traits -> $6) = 'string' THEN p.traits ->> $6 END) AS c2
FROM profiles p
WHERE p.merged_into IS NULL
  AND (p.traits @> $1::jsonb OR p.traits @> $2::jsonb OR p.traits @> $3::jsonb OR p.traits @> $4::jsonb OR p.traits @> $5::jsonb)
ORDER BY p.id;

-- columns: id number, company text
-- $1 = text "company"
-- $2 = text "^\\$1 "
-- $3 = text "日本商事"
SELECT (p.id)::text AS c1, (CASE WHEN jsonb_typeof(p.traits -> $1) = 'string' THEN p.traits ->> $1 END) AS c2
FROM profiles p
WHERE p.merged_into IS NULL
  AND (((CASE WHEN jsonb_typeof(p.traits -> $1) = 'string' THEN p.traits ->> $1 END) ~ $2) OR ((CASE WHEN jsonb_typeof(p.traits -> $1) = 'string' THEN p.traits ->> $1 END) = $3))
ORDER BY p.id;

-- columns: ts timestamp, profile_id number, comment text
-- $1 = text "nps"
-- $2 = text "comment"
-- $3 = text "\n"
-- $4 = text "	"
SELECT extract(epoch FROM (e.ts))::text AS c1, (e.profile_id)::text AS c2, (CASE WHEN jsonb_typeof(e.props -> $2) = 'string' THEN e.props ->> $2 END) AS c3
FROM events e
WHERE ((e.name = $1) AND ((strpos((CASE WHEN jsonb_typeof(e.props -> $2) = 'string' THEN e.props ->> $2 END), $3) > 0) OR (strpos((CASE WHEN jsonb_typeof(e.props -> $2) = 'string' THEN e.props ->> $2 END), $4) > 0)))
ORDER BY e.ts, e.message_id;

-- columns: ts timestamp, type text, name text
-- $1 = timestamptz 2024-03-01T08:00:00Z
-- $2 = timestamptz 2024-03-05T12:30:00Z
SELECT extract(epoch FROM (e.ts))::text AS c1, e.type AS c2, e.name AS c3
FROM events e
WHERE ((e.ts >= $1::timestamptz) AND (e.ts < $2::timestamptz))
ORDER BY e.ts, e.message_id;

-- columns: count number
-- $1 = text "login"
-- $2 = timestamptz now
-- $3 = interval 12 hours
-- $4 = bigint 0
-- $5 = interval 30 minutes
SELECT count(*)::text AS c1
FROM (SELECT e.profile_id, count(*) AS a1 FROM events e WHERE e.type = 'track' AND e.name = $1 AND e.ts >= ($2::timestamptz - $3::interval) AND e.ts <= $2::timestamptz GROUP BY e.profile_id) ea
WHERE NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = ea.profile_id AND m.merged_into IS NOT NULL)
  AND (COALESCE(ea.a1, 0) > $4::bigint)
  AND NOT EXISTS (SELECT 1 FROM events e WHERE e.profile_id = ea.profile_id AND e.type = 'track' AND e.name = $1 AND e.ts >= ($2::timestamptz - $5::interval) AND e.ts <= $2::timestamptz);

-- columns: id number
-- $1 = timestamptz now
-- $2 = interval 90 days
-- $3 = bigint 3
-- $4 = text "login"
-- $5 = interval 2 weeks
-- $6 = text "purchase"
-- $7 = interval 3 months
-- $8 = bigint 0
-- $9 = text "nps"
-- $10 = interval 1 year
SELECT (p.id)::text AS c1
FROM profiles p
JOIN events e ON e.profile_id = p.id AND ((e.ts >= ($1::timestamptz - $2::interval) AND e.ts <= $1::timestamptz) OR (e.type = 'track' AND e.name = $6 AND e.ts >= ($1::timestamptz - $7::interval) AND e.ts <= $1::timestamptz) OR (e.type = 'track' AND e.name = $9 AND e.ts >= ($1::timestamptz - $10::interval) AND e.ts <= $1::timestamptz))
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = $4 AND e.ts >= ($1::timestamptz - $5::interval) AND e.ts <= $1::timestamptz)
GROUP BY p.id
HAVING (COALESCE((count(*) FILTER (WHERE e.ts >= ($1::timestamptz - $2::interval) AND e.ts <= $1::timestamptz)), 0) >= $3::bigint)
  AND ((COALESCE((count(*) FILTER (WHERE e.type = 'track' AND e.name = $6 AND e.ts >= ($1::timestamptz - $7::interval) AND e.ts <= $1::timestamptz)), 0) > $8::bigint) OR (COALESCE((count(*) FILTER (WHERE e.type = 'track' AND e.name = $9 AND e.ts >= ($1::timestamptz - $10::interval) AND e.ts <= $1::timestamptz)), 0) > $8::bigint))
ORDER BY p.id;

-- columns: id number, signed_up timestamp
-- $1 = text "signup"
-- $2 = timestamptz now
-- $3 = interval 1 month
-- $4 = interval 1 week
SELECT (p.id)::text AS c1, extract(epoch FROM (ea.a1))::text AS c2
FROM profiles p
LEFT JOIN (SELECT e.profile_id, min(e.ts) AS a1 FROM events e WHERE e.type = 'track' AND e.name = $1 GROUP BY e.profile_id) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = $1 AND e.ts >= ($2::timestamptz - $3::interval) AND e.ts <= $2::timestamptz)
  AND NOT EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = $1 AND e.ts >= ($2::timestamptz - $4::interval) AND e.ts <= $2::timestamptz)
ORDER BY p.id;

-- columns: count number
-- $1 = text "login"
-- $2 = timestamptz now
-- $3 = interval 2 hours
-- $4 = bigint 0
-- $5 = interval 45 minutes
-- $6 = interval 1 minute
SELECT count(*)::text AS c1
FROM profiles p
LEFT JOIN (SELECT e.profile_id, count(*) FILTER (WHERE e.type = 'track' AND e.name = $1 AND e.ts >= ($2::timestamptz - $3::interval) AND e.ts <= $2::timestamptz) AS a1, count(*) FILTER (WHERE e.type = 'track' AND e.name = $1 AND e.ts >= ($2::timestamptz - $5::interval) AND e.ts <= $2::timestamptz) AS a2, count(*) FILTER (WHERE e.type = 'track' AND e.name = $1 AND e.ts >= ($2::timestamptz - $6::interval) AND e.ts <= $2::timestamptz) AS a3 FROM events e WHERE (e.type = 'track' AND e.name = $1 AND e.ts >= ($2::timestamptz - $3::interval) AND e.ts <= $2::timestamptz) OR (e.type = 'track' AND e.name = $1 AND e.ts >= ($2::timestamptz - $5::interval) AND e.ts <= $2::timestamptz) OR (e.type = 'track' AND e.name = $1 AND e.ts >= ($2::timestamptz - $6::interval) AND e.ts <= $2::timestamptz) GROUP BY e.profile_id) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL
  AND (((COALESCE(ea.a1, 0) > $4::bigint) OR (COALESCE(ea.a2, 0) > $4::bigint)) OR (COALESCE(ea.a3, 0) > $4::bigint));

-- columns: count number
-- $1 = text "signup"
-- $2 = timestamptz now
-- $3 = interval 2 years
-- $4 = bigint 0
-- $5 = interval 1 year
SELECT count(*)::text AS c1
FROM (SELECT e.profile_id, count(*) AS a1 FROM events e WHERE e.type = 'track' AND e.name = $1 AND e.ts >= ($2::timestamptz - $3::interval) AND e.ts <= $2::timestamptz GROUP BY e.profile_id) ea
WHERE NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = ea.profile_id AND m.merged_into IS NOT NULL)
  AND (COALESCE(ea.a1, 0) > $4::bigint)
  AND NOT EXISTS (SELECT 1 FROM events e WHERE e.profile_id = ea.profile_id AND e.type = 'track' AND e.name = $1 AND e.ts >= ($2::timestamptz - $5::interval) AND e.ts <= $2::timestamptz);

-- columns: count number
-- $1 = timestamptz 2024-12-31T23:59:59.999Z
-- $2 = timestamptz 2025-02-01T04:59:59Z
SELECT count(*)::text AS c1
FROM events e
WHERE ((e.ts > $1::timestamptz) AND (e.ts <= $2::timestamptz));
