-- Oracle for Grammar/examples/count.rql: each answer is one row with one column `count`.

-- profiles | count
SELECT count(*) AS count FROM profiles p WHERE p.merged_into IS NULL
;
-- count profiles
SELECT count(*) AS count FROM profiles p WHERE p.merged_into IS NULL
;
-- count profiles where plan = "pro"
SELECT count(*) AS count
FROM profiles p
WHERE p.merged_into IS NULL
  AND CASE WHEN jsonb_typeof(p.traits -> 'plan') = 'string' THEN p.traits ->> 'plan' END = 'pro'
;
-- count events where name = "signup"
SELECT count(*) AS count FROM events e WHERE e.name = 'signup'
;
-- where did purchase within 90 days | where country = "FR" | count
SELECT count(*) AS count
FROM profiles p
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM events e
              WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase'
                AND e.ts >= '2025-01-01T00:00:00Z'::timestamptz - interval '90 days'
                AND e.ts <= '2025-01-01T00:00:00Z'::timestamptz)
  AND CASE WHEN jsonb_typeof(p.traits -> 'country') = 'string' THEN p.traits ->> 'country' END = 'FR'
;
-- count profiles where email is null and phone is null
SELECT count(*) AS count
FROM profiles p
WHERE p.merged_into IS NULL
  AND NOT EXISTS (SELECT 1 FROM identities i WHERE i.profile_id = p.id AND i.kind = 'email')
  AND NOT EXISTS (SELECT 1 FROM identities i WHERE i.profile_id = p.id AND i.kind = 'phone')
;
-- events | where type = "screen" | count
SELECT count(*) AS count FROM events e WHERE e.type = 'screen'
