-- Oracle for Grammar/examples/did.rql. `did E` is count(E) > 0, so never null.

-- where did signup and not did purchase | select id, email, signed_up = first(signup).ts | order by signed_up
SELECT x.id, x.email, x.signed_up
FROM (
  SELECT p.id,
         (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'email'
           ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS email,
         (SELECT min(e.ts) FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'signup') AS signed_up
  FROM profiles p
  WHERE p.merged_into IS NULL
    AND EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'signup')
    AND NOT EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase')
) x
ORDER BY x.signed_up ASC NULLS LAST, x.id
;
-- where did purchase and not did login within 60 days | select id, email, last_login = last(login).ts
-- | order by last_login desc
SELECT x.id, x.email, x.last_login
FROM (
  SELECT p.id,
         (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'email'
           ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS email,
         (SELECT max(e.ts) FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'login') AS last_login
  FROM profiles p
  WHERE p.merged_into IS NULL
    AND EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase')
    AND NOT EXISTS (SELECT 1 FROM events e
                    WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'login'
                      AND e.ts >= '2025-01-01T00:00:00Z'::timestamptz - interval '60 days'
                      AND e.ts <= '2025-01-01T00:00:00Z'::timestamptz)
) x
ORDER BY x.last_login DESC NULLS LAST, x.id
;
-- where (did nps where score >= 9) or did referral
-- | select id, email, best_score = max(nps.score), referrals = count(referral)
SELECT p.id,
       (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'email'
         ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS email,
       (SELECT max(CASE WHEN jsonb_typeof(e.props -> 'score') = 'number' THEN (e.props ->> 'score')::numeric END)
          FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'nps') AS best_score,
       (SELECT count(*) FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'referral') AS referrals
FROM profiles p
WHERE p.merged_into IS NULL
  AND (EXISTS (SELECT 1 FROM events e
               WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'nps'
                 AND CASE WHEN jsonb_typeof(e.props -> 'score') = 'number' THEN (e.props ->> 'score')::numeric END >= 9)
       OR EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'referral'))
ORDER BY p.id
;
-- count profiles where did added_to_cart within 3 months and not did order_completed within 3 months
SELECT count(*) AS count
FROM profiles p
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM events e
              WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'added_to_cart'
                AND e.ts >= '2025-01-01T00:00:00Z'::timestamptz - interval '3 months'
                AND e.ts <= '2025-01-01T00:00:00Z'::timestamptz)
  AND NOT EXISTS (SELECT 1 FROM events e
                  WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'order_completed'
                    AND e.ts >= '2025-01-01T00:00:00Z'::timestamptz - interval '3 months'
                    AND e.ts <= '2025-01-01T00:00:00Z'::timestamptz)
;
-- where not did any within 180 days | select id, user_id, last_seen | order by last_seen desc | limit 15
SELECT x.id, x.user_id, x.last_seen
FROM (
  SELECT p.id,
         (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'user_id'
           ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS user_id,
         coalesce((SELECT max(e.ts) FROM events e WHERE e.profile_id = p.id), p.created_at) AS last_seen
  FROM profiles p
  WHERE p.merged_into IS NULL
    AND NOT EXISTS (SELECT 1 FROM events e
                    WHERE e.profile_id = p.id
                      AND e.ts >= '2025-01-01T00:00:00Z'::timestamptz - interval '180 days'
                      AND e.ts <= '2025-01-01T00:00:00Z'::timestamptz)
) x
ORDER BY x.last_seen DESC NULLS LAST, x.id
LIMIT 15
;
-- where did `Order Completed` and not did order_completed | select id, email
SELECT p.id,
       (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'email'
         ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS email
FROM profiles p
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'Order Completed')
  AND NOT EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'order_completed')
ORDER BY p.id
;
-- count profiles where did purchase within 90 days
SELECT count(*) AS count
FROM profiles p
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM events e
              WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase'
                AND e.ts >= '2025-01-01T00:00:00Z'::timestamptz - interval '90 days'
                AND e.ts <= '2025-01-01T00:00:00Z'::timestamptz)
;
-- where did refund where amount > 0 between 2024-01-01 and 2024-12-31
-- | select id, refunds = count(refund), refunded = sum(refund.amount)
SELECT p.id,
       (SELECT count(*) FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'refund') AS refunds,
       (SELECT coalesce(sum(CASE WHEN jsonb_typeof(e.props -> 'amount') = 'number' THEN (e.props ->> 'amount')::numeric END), 0)
          FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'refund') AS refunded
FROM profiles p
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM events e
              WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'refund'
                AND CASE WHEN jsonb_typeof(e.props -> 'amount') = 'number' THEN (e.props ->> 'amount')::numeric END > 0
                AND e.ts >= '2024-01-01T00:00:00Z'::timestamptz
                AND e.ts < '2025-01-01T00:00:00Z'::timestamptz)
ORDER BY p.id
