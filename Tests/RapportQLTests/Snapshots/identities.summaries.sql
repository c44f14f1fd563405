-- statement 4
-- columns: id number, anonymous_id text, first_seen timestamp
-- $1 = text "email"
-- $2 = text "user_id"
-- $3 = text "anonymous_id"
SELECT (p.id)::text AS c1, (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $3 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c2, extract(epoch FROM (COALESCE(ea.a1, p.created_at)))::text AS c3
FROM profiles p
LEFT JOIN (SELECT v.profile_id, v.first_ts AS a1 FROM profile_summaries v) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL
  AND ((SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $1 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) IS NULL)
  AND ((SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $2 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) IS NULL)
ORDER BY p.id;
