-- statement 3
-- columns: id number, user_id text, first_seen timestamp, last_seen timestamp
-- $1 = timestamptz 2024-01-01T00:00:00Z
-- $2 = timestamptz 2024-10-01T00:00:00Z
-- $3 = text "user_id"
SELECT (p.id)::text AS c1, (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $3 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c2, extract(epoch FROM (COALESCE(ea.a1, p.created_at)))::text AS c3, extract(epoch FROM (COALESCE(ea.a2, p.created_at)))::text AS c4
FROM profiles p
LEFT JOIN (SELECT v.profile_id, v.first_ts AS a1, v.last_ts AS a2 FROM profile_summaries v) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL
  AND (COALESCE(ea.a1, p.created_at) >= $1::timestamptz)
  AND (COALESCE(ea.a2, p.created_at) >= $2::timestamptz)
ORDER BY COALESCE(ea.a1, p.created_at) DESC NULLS LAST, p.id
LIMIT 10 OFFSET 10;

-- statement 5
-- columns: id number, created_at timestamp, updated_at timestamp, first_seen timestamp, last_seen timestamp
SELECT (p.id)::text AS c1, extract(epoch FROM (p.created_at))::text AS c2, extract(epoch FROM (p.updated_at))::text AS c3, extract(epoch FROM (COALESCE(ea.a1, p.created_at)))::text AS c4, extract(epoch FROM (COALESCE(ea.a2, p.created_at)))::text AS c5
FROM profiles p
LEFT JOIN (SELECT v.profile_id, v.first_ts AS a1, v.last_ts AS a2 FROM profile_summaries v) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL
ORDER BY p.id DESC NULLS LAST, p.id
LIMIT 5;

-- statement 6
-- columns: id number, email text, first_seen timestamp, last_seen timestamp
-- $1 = interval 365 days
-- $2 = text "email"
SELECT (p.id)::text AS c1, (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $2 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c2, extract(epoch FROM (COALESCE(ea.a2, p.created_at)))::text AS c3, extract(epoch FROM (COALESCE(ea.a1, p.created_at)))::text AS c4
FROM profiles p
LEFT JOIN (SELECT v.profile_id, v.last_ts AS a1, v.first_ts AS a2 FROM profile_summaries v) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL
  AND ((COALESCE(ea.a1, p.created_at) - COALESCE(ea.a2, p.created_at)) > $1::interval)
ORDER BY COALESCE(ea.a2, p.created_at) NULLS LAST, p.id;
