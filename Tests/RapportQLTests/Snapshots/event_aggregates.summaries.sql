-- statement 2
-- columns: id number, avg_amount number, smallest number, largest number, priced number, purchases number
-- $1 = text "purchase"
-- $2 = text "amount"
SELECT (p.id)::text AS c1, (ea.a1)::text AS c2, (ea.a2)::text AS c3, (ea.a3)::text AS c4, (COALESCE(ea.a4, 0))::text AS c5, (COALESCE(ea.a5, 0))::text AS c6
FROM profiles p
LEFT JOIN (SELECT COALESCE(s.profile_id, r.profile_id) AS profile_id, s.a5 AS a5, r.a1 AS a1, r.a2 AS a2, r.a3 AS a3, r.a4 AS a4 FROM (SELECT e.profile_id, coalesce(sum(e.events), 0)::bigint AS a5 FROM event_summaries e WHERE e.type = 'track' AND e.name = $1 GROUP BY e.profile_id) s FULL JOIN (SELECT e.profile_id, avg((CASE WHEN jsonb_typeof(e.props -> $2) = 'number' THEN (e.props ->> $2)::numeric END)) AS a1, min((CASE WHEN jsonb_typeof(e.props -> $2) = 'number' THEN (e.props ->> $2)::numeric END)) AS a2, max((CASE WHEN jsonb_typeof(e.props -> $2) = 'number' THEN (e.props ->> $2)::numeric END)) AS a3, count((CASE WHEN jsonb_typeof(e.props -> $2) = 'number' THEN (e.props ->> $2)::numeric END)) AS a4 FROM events e WHERE e.type = 'track' AND e.name = $1 GROUP BY e.profile_id) r ON r.profile_id = s.profile_id) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM event_summaries e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = $1)
ORDER BY ea.a1 DESC NULLS LAST, p.id
LIMIT 20;

-- statement 3
-- columns: id number, first_purchase timestamp, first_amount number, first_items number
-- $1 = jsonb {"plan":"pro"}
-- $2 = jsonb {"plan":"enterprise"}
-- $3 = text "purchase"
-- $4 = text "amount"
-- $5 = text "items"
SELECT (p.id)::text AS c1, extract(epoch FROM (ea.a1))::text AS c2, (ea.a2)::text AS c3, (ea.a3)::text AS c4
FROM profiles p
LEFT JOIN (SELECT COALESCE(s.profile_id, r.profile_id) AS profile_id, s.a1 AS a1, r.a2 AS a2, r.a3 AS a3 FROM (SELECT e.profile_id, min(e.first_ts) AS a1 FROM event_summaries e WHERE e.type = 'track' AND e.name = $3 GROUP BY e.profile_id) s FULL JOIN (SELECT e.profile_id, (array_agg((CASE WHEN jsonb_typeof(e.props -> $4) = 'number' THEN (e.props ->> $4)::numeric END) ORDER BY e.ts, e.message_id))[1] AS a2, (array_agg((CASE WHEN jsonb_typeof(e.props -> $5) = 'number' THEN (e.props ->> $5)::numeric END) ORDER BY e.ts, e.message_id))[1] AS a3 FROM events e WHERE e.type = 'track' AND e.name = $3 GROUP BY e.profile_id) r ON r.profile_id = s.profile_id) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL
  AND (p.traits @> $1::jsonb OR p.traits @> $2::jsonb)
  AND EXISTS (SELECT 1 FROM event_summaries e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = $3)
ORDER BY ea.a1 NULLS LAST, p.id;

-- statement 5
-- columns: id number, signed_up timestamp, last_active timestamp
-- $1 = text "signup"
-- $2 = timestamptz 2024-01-01T00:00:00Z
SELECT (q.c1)::text AS c1, extract(epoch FROM (q.c2))::text AS c2, extract(epoch FROM (q.c3))::text AS c3
FROM (SELECT p.id AS c1, ea.a1 AS c2, ea.a2 AS c3, p.id AS t1
FROM profiles p
LEFT JOIN (SELECT v.profile_id, v.last_ts AS a2, s.a1 AS a1 FROM profile_summaries v LEFT JOIN (SELECT e.profile_id, min(e.first_ts) AS a1 FROM event_summaries e WHERE e.type = 'track' AND e.name = $1 GROUP BY e.profile_id) s ON s.profile_id = v.profile_id) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL) q
WHERE (q.c2 < $2::timestamptz)
ORDER BY q.c3 DESC NULLS LAST, q.t1;

-- statement 7
-- columns: id number, email text, last_purchase timestamp, total number
-- $1 = text "purchase"
-- $2 = timestamptz 2024-10-01T00:00:00Z
-- $3 = text "amount"
-- $4 = bigint 0
-- $5 = text "email"
SELECT (p.id)::text AS c1, (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $5 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c2, extract(epoch FROM (ea.a2))::text AS c3, (COALESCE(ea.a3, 0))::text AS c4
FROM profiles p
LEFT JOIN (SELECT COALESCE(s.profile_id, r.profile_id) AS profile_id, s.a2 AS a2, s.a3 AS a3, r.a1 AS a1 FROM (SELECT e.profile_id, max(e.last_ts) AS a2, sum(e.revenue) AS a3 FROM event_summaries e WHERE e.type = 'track' AND e.name = $1 GROUP BY e.profile_id) s FULL JOIN (SELECT e.profile_id, sum((CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END)) AS a1 FROM events e WHERE e.type = 'track' AND e.name = $1 AND e.ts >= $2::timestamptz GROUP BY e.profile_id) r ON r.profile_id = s.profile_id) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM event_summaries e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = $1)
  AND (COALESCE(ea.a1, 0) = $4::bigint)
ORDER BY p.id;

-- statement 9
-- columns: id number, legacy_orders number, legacy_revenue number, first_legacy timestamp
-- $1 = text "Order Completed"
-- $2 = text "amount"
SELECT (p.id)::text AS c1, (COALESCE(ea.a1, 0))::text AS c2, (COALESCE(ea.a2, 0))::text AS c3, extract(epoch FROM (ea.a3))::text AS c4
FROM profiles p
LEFT JOIN (SELECT COALESCE(s.profile_id, r.profile_id) AS profile_id, s.a1 AS a1, s.a3 AS a3, r.a2 AS a2 FROM (SELECT e.profile_id, coalesce(sum(e.events), 0)::bigint AS a1, min(e.first_ts) AS a3 FROM event_summaries e WHERE e.type = 'track' AND e.name = $1 GROUP BY e.profile_id) s FULL JOIN (SELECT e.profile_id, sum((CASE WHEN jsonb_typeof(e.props -> $2) = 'number' THEN (e.props ->> $2)::numeric END)) AS a2 FROM events e WHERE e.type = 'track' AND e.name = $1 GROUP BY e.profile_id) r ON r.profile_id = s.profile_id) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM event_summaries e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = $1)
ORDER BY p.id;

-- statement 11
-- columns: email text, count_refund number, sum_refund_amount number
-- $1 = text "refund"
-- $2 = text "email"
-- $3 = text "amount"
SELECT (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $2 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c1, (COALESCE(ea.a1, 0))::text AS c2, (COALESCE(ea.a2, 0))::text AS c3
FROM profiles p
LEFT JOIN (SELECT COALESCE(s.profile_id, r.profile_id) AS profile_id, s.a1 AS a1, r.a2 AS a2 FROM (SELECT e.profile_id, coalesce(sum(e.events), 0)::bigint AS a1 FROM event_summaries e WHERE e.type = 'track' AND e.name = $1 GROUP BY e.profile_id) s FULL JOIN (SELECT e.profile_id, sum((CASE WHEN jsonb_typeof(e.props -> $3) = 'number' THEN (e.props ->> $3)::numeric END)) AS a2 FROM events e WHERE e.type = 'track' AND e.name = $1 GROUP BY e.profile_id) r ON r.profile_id = s.profile_id) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM event_summaries e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = $1)
ORDER BY p.id;
