-- Oracle for Grammar/examples/metrics.rql, the metrics inlined:
--   spent_90d    = sum(purchase.amount within 90 days)          (0 when none)
--   order_count  = count(purchase)
--   avg_basket   = sum(purchase.amount) / count(purchase)        (null when no purchase)
--   recent_share = spent_90d / sum(purchase.amount)              (null when the sum is 0)

-- where spent_90d > 300 | select id, email, spent_90d, order_count | order by spent_90d desc
SELECT x.id, x.email, x.spent_90d, x.order_count
FROM (
  SELECT p.id,
         (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'email'
           ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS email,
         (SELECT coalesce(sum(CASE WHEN jsonb_typeof(e.props -> 'amount') = 'number' THEN (e.props ->> 'amount')::numeric END), 0)
            FROM events e
           WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase'
             AND e.ts >= '2025-01-01T00:00:00Z'::timestamptz - interval '90 days'
             AND e.ts <= '2025-01-01T00:00:00Z'::timestamptz) AS spent_90d,
         (SELECT count(*) FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase') AS order_count
  FROM profiles p
  WHERE p.merged_into IS NULL
) x
WHERE x.spent_90d > 300
ORDER BY x.spent_90d DESC NULLS LAST, x.id
;
-- where order_count >= 3 | select id, avg_basket, recent_share | order by avg_basket desc | limit 10
SELECT x.id, x.total / nullif(x.order_count, 0) AS avg_basket, x.spent_90d / nullif(x.total, 0) AS recent_share
FROM (
  SELECT p.id,
         (SELECT coalesce(sum(CASE WHEN jsonb_typeof(e.props -> 'amount') = 'number' THEN (e.props ->> 'amount')::numeric END), 0)
            FROM events e
           WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase'
             AND e.ts >= '2025-01-01T00:00:00Z'::timestamptz - interval '90 days'
             AND e.ts <= '2025-01-01T00:00:00Z'::timestamptz) AS spent_90d,
         (SELECT coalesce(sum(CASE WHEN jsonb_typeof(e.props -> 'amount') = 'number' THEN (e.props ->> 'amount')::numeric END), 0)
            FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase') AS total,
         (SELECT count(*) FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase') AS order_count
  FROM profiles p
  WHERE p.merged_into IS NULL
) x
WHERE x.order_count >= 3
ORDER BY x.total / nullif(x.order_count, 0) DESC NULLS LAST, x.id
LIMIT 10
;
-- select plan, spent_90d | group by plan select total = sum(spent_90d), people = count(), average = avg(spent_90d)
SELECT y.plan, coalesce(sum(y.spent_90d), 0) AS total, count(*) AS people, avg(y.spent_90d) AS average
FROM (
  SELECT CASE WHEN jsonb_typeof(p.traits -> 'plan') = 'string' THEN p.traits ->> 'plan' END AS plan,
         (SELECT coalesce(sum(CASE WHEN jsonb_typeof(e.props -> 'amount') = 'number' THEN (e.props ->> 'amount')::numeric END), 0)
            FROM events e
           WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase'
             AND e.ts >= '2025-01-01T00:00:00Z'::timestamptz - interval '90 days'
             AND e.ts <= '2025-01-01T00:00:00Z'::timestamptz) AS spent_90d
  FROM profiles p
  WHERE p.merged_into IS NULL
) y
GROUP BY y.plan
ORDER BY y.plan COLLATE "C" ASC NULLS LAST
