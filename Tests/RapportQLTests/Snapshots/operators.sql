-- columns: id number, country text, plan text
-- $1 = jsonb {"country":"DE"}
-- $2 = jsonb {"country":"FR"}
-- $3 = jsonb {"country":"ES"}
-- $4 = text "free"
-- $5 = text "plan"
-- $6 = text "country"
SELECT (p.id)::text AS c1, (CASE WHEN jsonb_typeof(p.traits -> $6) = 'string' THEN p.traits ->> $6 END) AS c2, (CASE WHEN jsonb_typeof(p.traits -> $5) = 'string' THEN p.traits ->> $5 END) AS c3
FROM profiles p
WHERE p.merged_into IS NULL
  AND (p.traits @> $1::jsonb OR p.traits @> $2::jsonb OR p.traits @> $3::jsonb)
  AND ((CASE WHEN jsonb_typeof(p.traits -> $5) = 'string' THEN p.traits ->> $5 END) NOT IN ($4))
ORDER BY (CASE WHEN jsonb_typeof(p.traits -> $6) = 'string' THEN p.traits ->> $6 END) COLLATE "C" NULLS LAST, (CASE WHEN jsonb_typeof(p.traits -> $5) = 'string' THEN p.traits ->> $5 END) COLLATE "C" NULLS LAST, p.id;

-- columns: id number, company text
-- $1 = text "company"
-- $2 = text "; DROP"
-- $3 = text "$1"
SELECT (p.id)::text AS c1, (CASE WHEN jsonb_typeof(p.traits -> $1) = 'string' THEN p.traits ->> $1 END) AS c2
FROM profiles p
WHERE p.merged_into IS NULL
  AND ((strpos((CASE WHEN jsonb_typeof(p.traits -> $1) = 'string' THEN p.traits ->> $1 END), $2) > 0) OR (strpos((CASE WHEN jsonb_typeof(p.traits -> $1) = 'string' THEN p.traits ->> $1 END), $3) > 0))
ORDER BY (CASE WHEN jsonb_typeof(p.traits -> $1) = 'string' THEN p.traits ->> $1 END) COLLATE "C" NULLS LAST, p.id;

-- columns: id number, first name text
-- $1 = text "first name"
-- $2 = text "J"
SELECT (p.id)::text AS c1, (CASE WHEN jsonb_typeof(p.traits -> $1) = 'string' THEN p.traits ->> $1 END) AS c2
FROM profiles p
WHERE p.merged_into IS NULL
  AND starts_with((CASE WHEN jsonb_typeof(p.traits -> $1) = 'string' THEN p.traits ->> $1 END), $2)
ORDER BY (CASE WHEN jsonb_typeof(p.traits -> $1) = 'string' THEN p.traits ->> $1 END) COLLATE "C" NULLS LAST, p.id;

-- columns: count number
-- $1 = text "first name"
-- $2 = text "^[A-Z][a-z]+$"
SELECT count(*)::text AS c1
FROM profiles p
WHERE p.merged_into IS NULL
  AND ((CASE WHEN jsonb_typeof(p.traits -> $1) = 'string' THEN p.traits ->> $1 END) ~ $2);

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
LEFT JOIN (SELECT e.profile_id, sum((CASE WHEN jsonb_typeof(e.props -> $5) = 'number' THEN (e.props ->> $5)::numeric END)) AS a1 FROM events e WHERE e.type = 'track' AND e.name = $4 GROUP BY e.profile_id) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL
  AND ((CASE WHEN jsonb_typeof(p.traits -> $1) = 'number' THEN (p.traits ->> $1)::numeric END) IS NOT NULL)
ORDER BY (CASE WHEN jsonb_typeof(p.traits -> $1) = 'number' THEN (p.traits ->> $1)::numeric END) NULLS LAST, p.id
LIMIT 10;

-- columns: id number, coupons number, orders number
-- $1 = text "order_completed"
-- $2 = text "coupon_applied"
-- $3 = numeric 0.5
SELECT (p.id)::text AS c1, (COALESCE(ea.a1, 0))::text AS c2, (COALESCE(ea.a2, 0))::text AS c3
FROM profiles p
LEFT JOIN (SELECT e.profile_id, count(*) FILTER (WHERE e.type = 'track' AND e.name = $2) AS a1, count(*) FILTER (WHERE e.type = 'track' AND e.name = $1) AS a2 FROM events e WHERE (e.type = 'track' AND e.name = $2) OR (e.type = 'track' AND e.name = $1) GROUP BY e.profile_id) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = $1)
  AND (((COALESCE(ea.a1, 0))::numeric / NULLIF(COALESCE(ea.a2, 0), 0)) >= $3::numeric)
ORDER BY p.id;

-- columns: id number, email text, last_seen timestamp
-- $1 = timestamptz now
-- $2 = interval 90 days
-- $3 = interval 18 months
-- $4 = text "email"
SELECT (p.id)::text AS c1, (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $4 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c2, extract(epoch FROM (COALESCE((max(e.ts)), p.created_at)))::text AS c3
FROM profiles p
JOIN events e ON e.profile_id = p.id
WHERE p.merged_into IS NULL
GROUP BY p.id
HAVING ((max(e.ts)) < ($1::timestamptz - $2::interval))
  AND (COALESCE((min(e.ts)), p.created_at) >= (date_trunc('day', $1::timestamptz, 'UTC') - $3::interval))
ORDER BY COALESCE((max(e.ts)), p.created_at) NULLS LAST, p.id;

-- columns: id number, signed_up timestamp, trial_end timestamp
-- $1 = text "login"
-- $2 = text "signup"
-- $3 = interval 2 weeks
-- $4 = interval 14 days
WITH ea AS MATERIALIZED (SELECT e.profile_id, max(e.ts) FILTER (WHERE e.type = 'track' AND e.name = $1) AS a1, min(e.ts) FILTER (WHERE e.type = 'track' AND e.name = $2) AS a2 FROM events e WHERE (e.type = 'track' AND e.name = $1) OR (e.type = 'track' AND e.name = $2) GROUP BY e.profile_id)
SELECT (p.id)::text AS c1, extract(epoch FROM (ea.a2))::text AS c2, extract(epoch FROM ((ea.a2 + $4::interval)))::text AS c3
FROM ((SELECT p.id FROM profiles p JOIN ea ON ea.profile_id = p.id WHERE p.merged_into IS NULL AND ((ea.a1 - ea.a2) > $3::interval) ORDER BY (ea.a2 + $4::interval) DESC NULLS LAST, p.id LIMIT 10) UNION ALL (SELECT p.id FROM profiles p LEFT JOIN ea ON ea.profile_id = p.id WHERE ea.profile_id IS NULL AND p.merged_into IS NULL AND ((ea.a1 - ea.a2) > $3::interval) ORDER BY p.id LIMIT 10)) t JOIN profiles p ON p.id = t.id
LEFT JOIN ea ON ea.profile_id = p.id
ORDER BY (ea.a2 + $4::interval) DESC NULLS LAST, p.id
LIMIT 10;

-- columns: id number, net number, refunded number
-- $1 = text "refund"
-- $2 = text "purchase"
-- $3 = text "amount"
SELECT (p.id)::text AS c1, (((COALESCE(ea.a1, 0))::numeric - COALESCE(ea.a2, 0)))::text AS c2, ((- (COALESCE(ea.a2, 0))::numeric))::text AS c3
FROM profiles p
LEFT JOIN (SELECT e.profile_id, sum((CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END)) FILTER (WHERE e.type = 'track' AND e.name = $2) AS a1, sum((CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END)) FILTER (WHERE e.type = 'track' AND e.name = $1) AS a2 FROM events e WHERE (e.type = 'track' AND e.name = $2) OR (e.type = 'track' AND e.name = $1) GROUP BY e.profile_id) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = $1)
ORDER BY ((COALESCE(ea.a1, 0))::numeric - COALESCE(ea.a2, 0)) DESC NULLS LAST, p.id;

-- columns: id number, plan text, seats number
-- $1 = text "plan"
-- $2 = text "pro"
-- $3 = text "enterprise"
-- $4 = text "seats"
-- $5 = bigint 2
-- $6 = bigint 10
SELECT (p.id)::text AS c1, (CASE WHEN jsonb_typeof(p.traits -> $1) = 'string' THEN p.traits ->> $1 END) AS c2, ((CASE WHEN jsonb_typeof(p.traits -> $4) = 'number' THEN (p.traits ->> $4)::numeric END))::text AS c3
FROM profiles p
WHERE p.merged_into IS NULL
  AND (((CASE WHEN jsonb_typeof(p.traits -> $1) = 'string' THEN p.traits ->> $1 END) = $2) OR ((CASE WHEN jsonb_typeof(p.traits -> $1) = 'string' THEN p.traits ->> $1 END) = $3))
  AND ((((((CASE WHEN jsonb_typeof(p.traits -> $4) = 'number' THEN (p.traits ->> $4)::numeric END))::numeric + $5::bigint))::numeric * $5::bigint) <= $6::bigint)
ORDER BY p.id;

-- columns: count number
-- $1 = text "country"
SELECT count(*)::text AS c1
FROM profiles p
WHERE p.merged_into IS NULL
  AND (((CASE WHEN jsonb_typeof(p.traits -> $1) = 'string' THEN p.traits ->> $1 END) = NULL::text) OR (NOT ((CASE WHEN jsonb_typeof(p.traits -> $1) = 'string' THEN p.traits ->> $1 END) <> NULL::text)));
