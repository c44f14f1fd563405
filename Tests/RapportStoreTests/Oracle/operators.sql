-- Oracle for Grammar/examples/operators.rql. Text compares by code point (COLLATE "C");
-- contains / starts with are case-sensitive; matches is `~`; division by zero is null;
-- 50% is 0.5; now is 2025-01-01T00:00:00Z and so is today.

-- where country in ("DE", "FR", "ES") and plan not in ("free") | select id, country, plan | order by country, plan
SELECT x.id, x.country, x.plan
FROM (
  SELECT p.id,
         CASE WHEN jsonb_typeof(p.traits -> 'country') = 'string' THEN p.traits ->> 'country' END AS country,
         CASE WHEN jsonb_typeof(p.traits -> 'plan') = 'string' THEN p.traits ->> 'plan' END AS plan
  FROM profiles p
  WHERE p.merged_into IS NULL
) x
WHERE x.country IN ('DE', 'FR', 'ES') AND x.plan NOT IN ('free')
ORDER BY x.country COLLATE "C" ASC NULLS LAST, x.plan COLLATE "C" ASC NULLS LAST, x.id
;
-- where company contains "; DROP" or company contains "$1" | select id, company | order by company
SELECT x.id, x.company
FROM (
  SELECT p.id,
         CASE WHEN jsonb_typeof(p.traits -> 'company') = 'string' THEN p.traits ->> 'company' END AS company
  FROM profiles p
  WHERE p.merged_into IS NULL
) x
WHERE strpos(x.company, '; DROP') > 0 OR strpos(x.company, '$1') > 0
ORDER BY x.company COLLATE "C" ASC NULLS LAST, x.id
;
-- where `first name` starts with "J" | select id, `first name` | order by `first name`
SELECT x.id, x."first name"
FROM (
  SELECT p.id,
         CASE WHEN jsonb_typeof(p.traits -> 'first name') = 'string' THEN p.traits ->> 'first name' END AS "first name"
  FROM profiles p
  WHERE p.merged_into IS NULL
) x
WHERE starts_with(x."first name", 'J')
ORDER BY x."first name" COLLATE "C" ASC NULLS LAST, x.id
;
-- count profiles where `first name` matches "^[A-Z][a-z]+$"
SELECT count(*) AS count
FROM profiles p
WHERE p.merged_into IS NULL
  AND CASE WHEN jsonb_typeof(p.traits -> 'first name') = 'string' THEN p.traits ->> 'first name' END ~ '^[A-Z][a-z]+$'
;
-- where seats is not null | select id, seats, yearly = seats * 12 * 15.5,
-- per_seat = sum(purchase.amount) / seats, next_age = age + 1 | order by seats | limit 10
SELECT x.id, x.seats, x.seats * 12 * 15.5 AS yearly, x.spent / nullif(x.seats, 0) AS per_seat, x.age + 1 AS next_age
FROM (
  SELECT p.id,
         CASE WHEN jsonb_typeof(p.traits -> 'seats') = 'number' THEN (p.traits ->> 'seats')::numeric END AS seats,
         CASE WHEN jsonb_typeof(p.traits -> 'age') = 'number' THEN (p.traits ->> 'age')::numeric END AS age,
         (SELECT coalesce(sum(CASE WHEN jsonb_typeof(e.props -> 'amount') = 'number' THEN (e.props ->> 'amount')::numeric END), 0)
            FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase') AS spent
  FROM profiles p
  WHERE p.merged_into IS NULL
) x
WHERE x.seats IS NOT NULL
ORDER BY x.seats ASC NULLS LAST, x.id
LIMIT 10
;
-- where count(order_completed) > 0 and count(coupon_applied) / count(order_completed) >= 50%
-- | select id, coupons = count(coupon_applied), orders = count(order_completed)
SELECT x.id, x.coupons, x.orders
FROM (
  SELECT p.id,
         (SELECT count(*) FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'coupon_applied') AS coupons,
         (SELECT count(*) FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'order_completed') AS orders
  FROM profiles p
  WHERE p.merged_into IS NULL
) x
WHERE x.orders > 0 AND x.coupons::numeric / nullif(x.orders, 0) >= 0.5
ORDER BY x.id
;
-- where last(any).ts < now - 90 days and first_seen >= today - 18 months | select id, email, last_seen
-- | order by last_seen
SELECT x.id, x.email, x.last_seen
FROM (
  SELECT p.id,
         (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'email'
           ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS email,
         (SELECT max(e.ts) FROM events e WHERE e.profile_id = p.id) AS last_any,
         coalesce((SELECT min(e.ts) FROM events e WHERE e.profile_id = p.id), p.created_at) AS first_seen,
         coalesce((SELECT max(e.ts) FROM events e WHERE e.profile_id = p.id), p.created_at) AS last_seen
  FROM profiles p
  WHERE p.merged_into IS NULL
) x
WHERE x.last_any < '2025-01-01T00:00:00Z'::timestamptz - interval '90 days'
  AND x.first_seen >= '2025-01-01T00:00:00Z'::timestamptz - interval '18 months'
ORDER BY x.last_seen ASC NULLS LAST, x.id
;
-- where last(login).ts - first(signup).ts > 2 weeks
-- | select id, signed_up = first(signup).ts, trial_end = first(signup).ts + 14 days
-- | order by trial_end desc | limit 10
SELECT x.id, x.signed_up, x.signed_up + interval '14 days' AS trial_end
FROM (
  SELECT p.id,
         (SELECT min(e.ts) FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'signup') AS signed_up,
         (SELECT max(e.ts) FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'login') AS last_login
  FROM profiles p
  WHERE p.merged_into IS NULL
) x
WHERE x.last_login - x.signed_up > interval '14 days'
ORDER BY x.signed_up + interval '14 days' DESC NULLS LAST, x.id
LIMIT 10
;
-- where did refund | select id, net = sum(purchase.amount) - sum(refund.amount), refunded = -sum(refund.amount)
-- | order by net desc
SELECT x.id, x.bought - x.refunded AS net, -x.refunded AS refunded
FROM (
  SELECT p.id,
         (SELECT count(*) FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'refund') AS refunds,
         (SELECT coalesce(sum(CASE WHEN jsonb_typeof(e.props -> 'amount') = 'number' THEN (e.props ->> 'amount')::numeric END), 0)
            FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase') AS bought,
         (SELECT coalesce(sum(CASE WHEN jsonb_typeof(e.props -> 'amount') = 'number' THEN (e.props ->> 'amount')::numeric END), 0)
            FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'refund') AS refunded
  FROM profiles p
  WHERE p.merged_into IS NULL
) x
WHERE x.refunds > 0
ORDER BY x.bought - x.refunded DESC NULLS LAST, x.id
;
-- where (plan = "pro" or plan = "enterprise") and (seats + 2) * 2 <= 10 | select id, plan, seats
SELECT x.id, x.plan, x.seats
FROM (
  SELECT p.id,
         CASE WHEN jsonb_typeof(p.traits -> 'plan') = 'string' THEN p.traits ->> 'plan' END AS plan,
         CASE WHEN jsonb_typeof(p.traits -> 'seats') = 'number' THEN (p.traits ->> 'seats')::numeric END AS seats
  FROM profiles p
  WHERE p.merged_into IS NULL
) x
WHERE (x.plan = 'pro' OR x.plan = 'enterprise') AND (x.seats + 2) * 2 <= 10
ORDER BY x.id
;
-- count profiles where country = null or not (country != null)   (both sides null: none)
SELECT count(*) AS count
FROM profiles p
WHERE p.merged_into IS NULL
  AND (CASE WHEN jsonb_typeof(p.traits -> 'country') = 'string' THEN p.traits ->> 'country' END = NULL
       OR NOT (CASE WHEN jsonb_typeof(p.traits -> 'country') = 'string' THEN p.traits ->> 'country' END <> NULL))
