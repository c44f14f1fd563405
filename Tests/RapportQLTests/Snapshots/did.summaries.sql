-- statement 1
-- columns: id number, email text, signed_up timestamp
-- $1 = text "signup"
-- $2 = text "purchase"
-- $3 = text "email"
SELECT (p.id)::text AS c1, (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $3 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c2, extract(epoch FROM (ea.a1))::text AS c3
FROM profiles p
LEFT JOIN (SELECT e.profile_id, min(e.first_ts) AS a1 FROM event_summaries e WHERE e.type = 'track' AND e.name = $1 GROUP BY e.profile_id) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM event_summaries e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = $1)
  AND NOT EXISTS (SELECT 1 FROM event_summaries e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = $2)
ORDER BY ea.a1 NULLS LAST, p.id;

-- statement 2
-- columns: id number, email text, last_login timestamp
-- $1 = text "purchase"
-- $2 = text "login"
-- $3 = timestamptz now
-- $4 = interval 60 days
-- $5 = text "email"
SELECT (p.id)::text AS c1, (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $5 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c2, extract(epoch FROM (ea.a1))::text AS c3
FROM profiles p
LEFT JOIN (SELECT e.profile_id, max(e.last_ts) AS a1 FROM event_summaries e WHERE e.type = 'track' AND e.name = $2 GROUP BY e.profile_id) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM event_summaries e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = $1)
  AND NOT EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = $2 AND e.ts >= ($3::timestamptz - $4::interval) AND e.ts <= $3::timestamptz)
ORDER BY ea.a1 DESC NULLS LAST, p.id;

-- statement 3
-- columns: id number, email text, best_score number, referrals number
-- $1 = text "nps"
-- $2 = text "score"
-- $3 = bigint 9
-- $4 = bigint 0
-- $5 = text "referral"
-- $6 = text "email"
SELECT (p.id)::text AS c1, (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $6 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c2, (ea.a3)::text AS c3, (COALESCE(ea.a2, 0))::text AS c4
FROM profiles p
LEFT JOIN (SELECT COALESCE(s.profile_id, r.profile_id) AS profile_id, s.a2 AS a2, r.a1 AS a1, r.a3 AS a3 FROM (SELECT e.profile_id, coalesce(sum(e.events), 0)::bigint AS a2 FROM event_summaries e WHERE e.type = 'track' AND e.name = $5 GROUP BY e.profile_id) s FULL JOIN (SELECT e.profile_id, count(*) FILTER (WHERE e.type = 'track' AND e.name = $1 AND ((CASE WHEN jsonb_typeof(e.props -> $2) = 'number' THEN (e.props ->> $2)::numeric END) >= $3::bigint)) AS a1, max((CASE WHEN jsonb_typeof(e.props -> $2) = 'number' THEN (e.props ->> $2)::numeric END)) FILTER (WHERE e.type = 'track' AND e.name = $1) AS a3 FROM events e WHERE e.type = 'track' AND e.name = $1 GROUP BY e.profile_id) r ON r.profile_id = s.profile_id) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL
  AND ((COALESCE(ea.a1, 0) > $4::bigint) OR (COALESCE(ea.a2, 0) > $4::bigint))
ORDER BY p.id;

-- statement 5
-- columns: id number, user_id text, last_seen timestamp
-- $1 = timestamptz now
-- $2 = interval 180 days
-- $3 = text "user_id"
SELECT (p.id)::text AS c1, (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $3 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c2, extract(epoch FROM (COALESCE(ea.a1, p.created_at)))::text AS c3
FROM profiles p
LEFT JOIN (SELECT v.profile_id, v.last_ts AS a1 FROM profile_summaries v) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL
  AND NOT EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.ts >= ($1::timestamptz - $2::interval) AND e.ts <= $1::timestamptz)
ORDER BY COALESCE(ea.a1, p.created_at) DESC NULLS LAST, p.id
LIMIT 15;

-- statement 6
-- columns: id number, email text
-- $1 = text "Order Completed"
-- $2 = text "order_completed"
-- $3 = text "email"
SELECT (p.id)::text AS c1, (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $3 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c2
FROM profiles p
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM event_summaries e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = $1)
  AND NOT EXISTS (SELECT 1 FROM event_summaries e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = $2)
ORDER BY p.id;

-- statement 8
-- columns: id number, refunds number, refunded number
-- $1 = text "refund"
-- $2 = timestamptz 2024-01-01T00:00:00Z
-- $3 = timestamptz 2024-12-31T00:00:00Z
-- $4 = text "amount"
-- $5 = bigint 0
SELECT (p.id)::text AS c1, (COALESCE(ea.a1, 0))::text AS c2, (COALESCE(ea.a2, 0))::text AS c3
FROM profiles p
LEFT JOIN (SELECT COALESCE(s.profile_id, r.profile_id) AS profile_id, s.a1 AS a1, r.a2 AS a2 FROM (SELECT e.profile_id, coalesce(sum(e.events), 0)::bigint AS a1 FROM event_summaries e WHERE e.type = 'track' AND e.name = $1 GROUP BY e.profile_id) s FULL JOIN (SELECT e.profile_id, sum((CASE WHEN jsonb_typeof(e.props -> $4) = 'number' THEN (e.props ->> $4)::numeric END)) AS a2 FROM events e WHERE e.type = 'track' AND e.name = $1 GROUP BY e.profile_id) r ON r.profile_id = s.profile_id) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = $1 AND e.ts >= $2::timestamptz AND e.ts < $3::timestamptz + interval '1 day' AND ((CASE WHEN jsonb_typeof(e.props -> $4) = 'number' THEN (e.props ->> $4)::numeric END) > $5::bigint))
ORDER BY p.id;
