-- Oracle for Grammar/examples/segments.rql, the segments inlined:
--   buyers        = did purchase
--   recent_buyers = in buyers and did purchase within 90 days
--   lapsed        = did purchase and not did purchase within 90 days and not did login within 60 days
--   german        = country = "DE"   (`in german` is false, never null, where country is null)

-- segment recent_buyers
SELECT p.id,
       (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'user_id'
         ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS user_id,
       (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'email'
         ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS email
FROM profiles p
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase')
  AND EXISTS (SELECT 1 FROM events e
              WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase'
                AND e.ts >= '2025-01-01T00:00:00Z'::timestamptz - interval '90 days'
                AND e.ts <= '2025-01-01T00:00:00Z'::timestamptz)
ORDER BY p.id
;
-- segment lapsed | select id, email, last_purchase = last(purchase).ts | order by last_purchase
SELECT x.id, x.email, x.last_purchase
FROM (
  SELECT p.id,
         (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'email'
           ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS email,
         (SELECT max(e.ts) FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase') AS last_purchase
  FROM profiles p
  WHERE p.merged_into IS NULL
    AND EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase')
    AND NOT EXISTS (SELECT 1 FROM events e
                    WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase'
                      AND e.ts >= '2025-01-01T00:00:00Z'::timestamptz - interval '90 days'
                      AND e.ts <= '2025-01-01T00:00:00Z'::timestamptz)
    AND NOT EXISTS (SELECT 1 FROM events e
                    WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'login'
                      AND e.ts >= '2025-01-01T00:00:00Z'::timestamptz - interval '60 days'
                      AND e.ts <= '2025-01-01T00:00:00Z'::timestamptz)
) x
ORDER BY x.last_purchase ASC NULLS LAST, x.id
;
-- count profiles where in buyers and not in german
SELECT count(*) AS count
FROM profiles p
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase')
  AND NOT coalesce(CASE WHEN jsonb_typeof(p.traits -> 'country') = 'string' THEN p.traits ->> 'country' END = 'DE', false)
;
-- count profiles where did purchase and not (country = "DE")
SELECT count(*) AS count
FROM profiles p
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase')
  AND NOT (CASE WHEN jsonb_typeof(p.traits -> 'country') = 'string' THEN p.traits ->> 'country' END = 'DE')
;
-- count segment recent_buyers where plan = "pro"
SELECT count(*) AS count
FROM profiles p
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase')
  AND EXISTS (SELECT 1 FROM events e
              WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase'
                AND e.ts >= '2025-01-01T00:00:00Z'::timestamptz - interval '90 days'
                AND e.ts <= '2025-01-01T00:00:00Z'::timestamptz)
  AND CASE WHEN jsonb_typeof(p.traits -> 'plan') = 'string' THEN p.traits ->> 'plan' END = 'pro'
