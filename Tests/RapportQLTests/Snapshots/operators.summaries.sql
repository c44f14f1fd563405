-- statement 5
-- columns: id number, seats number, yearly number, per_seat number, next_age number
-- $1 = text "seats"
-- $2 = bigint 12
-- $3 = numeric 15.5
-- $4 = text "purchase"
-- $5 = text "amount"
-- $6 = text "age"
-- $7 = bigint 1
SELECT (p.id)::text AS c1, ((CASE WHEN jsonb_typeof(p.traits -> $1) = 'number' THEN (p.traits ->> $1)::numeric END))::text AS c2, ((((((CASE WHEN jsonb_typeof(p.traits -> $1) = 'number' THEN (p.traits ->> $1)::numeric END))::numeric * $2::bigint))::numeric * $3::numeric))::text AS c3, (((COALESCE(ea.a1, 0))::numeric / NULLIF((CASE WHEN jsonb_typeof(p.traits -> $1) = 'number' THEN (p.traits ->> $1)::numeric END), 0)))::text AS c4, ((((CASE WHEN jsonb_typeof(p.traits -> $6) = 'number' THEN (p.traits ->> $6)::numeric END))::numeric + $7::bigint))::text AS c5
FROM profiles p
LEFT JOIN (SELECT e.profile_id, sum(e.revenue) AS a1 FROM event_summaries e WHERE e.type = 'track' AND e.name = $4 GROUP BY e.profile_id) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL
  AND ((CASE WHEN jsonb_typeof(p.traits -> $1) = 'number' THEN (p.traits ->> $1)::numeric END) IS NOT NULL)
ORDER BY (CASE WHEN jsonb_typeof(p.traits -> $1) = 'number' THEN (p.traits ->> $1)::numeric END) NULLS LAST, p.id
LIMIT 10;

-- statement 6
-- columns: id number, coupons number, orders number
-- $1 = text "order_completed"
-- $2 = text "coupon_applied"
-- $3 = numeric 0.5
SELECT (p.id)::text AS c1, (COALESCE(ea.a1, 0))::text AS c2, (COALESCE(ea.a2, 0))::text AS c3
FROM profiles p
LEFT JOIN (SELECT e.profile_id, coalesce(sum(e.events) FILTER (WHERE e.type = 'track' AND e.name = $2), 0)::bigint AS a1, coalesce(sum(e.events) FILTER (WHERE e.type = 'track' AND e.name = $1), 0)::bigint AS a2 FROM event_summaries e WHERE (e.type = 'track' AND e.name = $2) OR (e.type = 'track' AND e.name = $1) GROUP BY e.profile_id) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM event_summaries e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = $1)
  AND (((COALESCE(ea.a1, 0))::numeric / NULLIF(COALESCE(ea.a2, 0), 0)) >= $3::numeric)
ORDER BY p.id;

-- statement 7
-- columns: id number, email text, last_seen timestamp
-- $1 = timestamptz now
-- $2 = interval 90 days
-- $3 = interval 18 months
-- $4 = text "email"
SELECT (p.id)::text AS c1, (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $4 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c2, extract(epoch FROM (COALESCE((max(e.last_ts)), p.created_at)))::text AS c3
FROM profiles p
JOIN event_summaries e ON e.profile_id = p.id
WHERE p.merged_into IS NULL
GROUP BY p.id
HAVING ((max(e.last_ts)) < ($1::timestamptz - $2::interval))
  AND (COALESCE((min(e.first_ts)), p.created_at) >= (date_trunc('day', $1::timestamptz, 'UTC') - $3::interval))
ORDER BY COALESCE((max(e.last_ts)), p.created_at) NULLS LAST, p.id;

-- statement 8
-- columns: id number, signed_up timestamp, trial_end timestamp
-- $1 = text "login"
-- $2 = text "signup"
-- $3 = interval 2 weeks
-- $4 = interval 14 days
WITH ea AS MATERIALIZED (SELECT e.profile_id, max(e.last_ts) FILTER (WHERE e.type = 'track' AND e.name = $1) AS a1, min(e.first_ts) FILTER (WHERE e.type = 'track' AND e.name = $2) AS a2 FROM event_summaries e WHERE (e.type = 'track' AND e.name = $1) OR (e.type = 'track' AND e.name = $2) GROUP BY e.profile_id)
SELECT (p.id)::text AS c1, extract(epoch FROM (ea.a2))::text AS c2, extract(epoch FROM ((ea.a2 + $4::interval)))::text AS c3
FROM ((SELECT p.id FROM profiles p JOIN ea ON ea.profile_id = p.id WHERE p.merged_into IS NULL AND ((ea.a1 - ea.a2) > $3::interval) ORDER BY (ea.a2 + $4::interval) DESC NULLS LAST, p.id LIMIT 10) UNION ALL (SELECT p.id FROM profiles p LEFT JOIN ea ON ea.profile_id = p.id WHERE ea.profile_id IS NULL AND p.merged_into IS NULL AND ((ea.a1 - ea.a2) > $3::interval) ORDER BY p.id LIMIT 10)) t JOIN profiles p ON p.id = t.id
LEFT JOIN ea ON ea.profile_id = p.id
ORDER BY (ea.a2 + $4::interval) DESC NULLS LAST, p.id
LIMIT 10;

-- statement 9
-- columns: id number, net number, refunded number
-- $1 = text "refund"
-- $2 = text "purchase"
-- $3 = text "amount"
SELECT (p.id)::text AS c1, (((COALESCE(ea.a1, 0))::numeric - COALESCE(ea.a2, 0)))::text AS c2, ((- (COALESCE(ea.a2, 0))::numeric))::text AS c3
FROM profiles p
LEFT JOIN (SELECT COALESCE(s.profile_id, r.profile_id) AS profile_id, s.a1 AS a1, r.a2 AS a2 FROM (SELECT e.profile_id, sum(e.revenue) AS a1 FROM event_summaries e WHERE e.type = 'track' AND e.name = $2 GROUP BY e.profile_id) s FULL JOIN (SELECT e.profile_id, sum((CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END)) AS a2 FROM events e WHERE e.type = 'track' AND e.name = $1 GROUP BY e.profile_id) r ON r.profile_id = s.profile_id) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM event_summaries e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = $1)
ORDER BY ((COALESCE(ea.a1, 0))::numeric - COALESCE(ea.a2, 0)) DESC NULLS LAST, p.id;
