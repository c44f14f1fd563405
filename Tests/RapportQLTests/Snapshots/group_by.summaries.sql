-- statement 3
-- columns: plan text, customers number, revenue number, best number, avg_orders number
-- $1 = text "plan"
-- $2 = text "purchase"
-- $3 = text "amount"
SELECT q.c1 AS c1, (count(*))::text AS c2, (COALESCE(sum(q.c2), 0))::text AS c3, (max(q.c2))::text AS c4, (avg(q.c3))::text AS c5
FROM (SELECT (CASE WHEN jsonb_typeof(p.traits -> $1) = 'string' THEN p.traits ->> $1 END) AS c1, COALESCE(ea.a1, 0) AS c2, COALESCE(ea.a2, 0) AS c3, p.id AS t1
FROM profiles p
LEFT JOIN (SELECT e.profile_id, sum(e.revenue) AS a1, coalesce(sum(e.events), 0)::bigint AS a2 FROM event_summaries e WHERE e.type = 'track' AND e.name = $2 GROUP BY e.profile_id) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL) q
GROUP BY q.c1
ORDER BY COALESCE(sum(q.c2), 0) DESC NULLS LAST, q.c1 COLLATE "C" NULLS LAST;

-- statement 4
-- columns: newsletter boolean, n number, youngest number, oldest number
-- $1 = text "purchase"
-- $2 = text "newsletter"
-- $3 = text "age"
SELECT ((CASE WHEN jsonb_typeof(p.traits -> $2) = 'boolean' THEN (p.traits ->> $2)::boolean END))::text AS c1, (count(*))::text AS c2, (min((CASE WHEN jsonb_typeof(p.traits -> $3) = 'number' THEN (p.traits ->> $3)::numeric END)))::text AS c3, (max((CASE WHEN jsonb_typeof(p.traits -> $3) = 'number' THEN (p.traits ->> $3)::numeric END)))::text AS c4
FROM profiles p
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM event_summaries e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = $1)
GROUP BY (CASE WHEN jsonb_typeof(p.traits -> $2) = 'boolean' THEN (p.traits ->> $2)::boolean END)
ORDER BY (CASE WHEN jsonb_typeof(p.traits -> $2) = 'boolean' THEN (p.traits ->> $2)::boolean END) NULLS LAST;
