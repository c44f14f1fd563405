-- Oracle for Grammar/examples/event_aggregates.rql. An event name means the profile's track
-- events of that name, `page`/`screen` events of that type, `any` all of its events.
-- A property is read by its catalogue type (amount, items, score: number; currency,
-- method: text); a value of another type is null: count(E.p) skips it, sum adds nothing
-- for it (0 when nothing fits), avg/min/max ignore it. `within D` is now - D <= ts <= now,
-- `since T` is ts >= T, `between T1 and <date>` is T1 <= ts < date + 1 day.
-- first/last: the earliest/latest matching event, ties by the smallest message id.

-- where count(purchase within 90 days) >= 2
-- | select id, email, purchases = count(purchase within 90 days), spent = sum(purchase.amount within 90 days)
-- | order by spent desc
SELECT x.id, x.email, x.purchases, x.spent
FROM (
  SELECT p.id,
         (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'email'
           ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS email,
         (SELECT count(*) FROM events e
           WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase'
             AND e.ts >= '2025-01-01T00:00:00Z'::timestamptz - interval '90 days'
             AND e.ts <= '2025-01-01T00:00:00Z'::timestamptz) AS purchases,
         (SELECT coalesce(sum(CASE WHEN jsonb_typeof(e.props -> 'amount') = 'number' THEN (e.props ->> 'amount')::numeric END), 0)
            FROM events e
           WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase'
             AND e.ts >= '2025-01-01T00:00:00Z'::timestamptz - interval '90 days'
             AND e.ts <= '2025-01-01T00:00:00Z'::timestamptz) AS spent
  FROM profiles p
  WHERE p.merged_into IS NULL
) x
WHERE x.purchases >= 2
ORDER BY x.spent DESC NULLS LAST, x.id
;
-- where did purchase | select id, avg_amount = avg(purchase.amount), smallest = min(purchase.amount),
-- largest = max(purchase.amount), priced = count(purchase.amount), purchases = count(purchase)
-- | order by avg_amount desc | limit 20
SELECT x.id, x.avg_amount, x.smallest, x.largest, x.priced, x.purchases
FROM (
  SELECT p.id, a.avg_amount, a.smallest, a.largest, a.priced, a.purchases
  FROM profiles p
  CROSS JOIN LATERAL (
    SELECT avg(v.amount) AS avg_amount, min(v.amount) AS smallest, max(v.amount) AS largest,
           count(v.amount) AS priced, count(*) AS purchases
    FROM (SELECT CASE WHEN jsonb_typeof(e.props -> 'amount') = 'number' THEN (e.props ->> 'amount')::numeric END AS amount
            FROM events e
           WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase') v
  ) a
  WHERE p.merged_into IS NULL
) x
WHERE x.purchases > 0
ORDER BY x.avg_amount DESC NULLS LAST, x.id
LIMIT 20
;
-- where plan in ("pro", "enterprise") and did purchase
-- | select id, first_purchase = first(purchase), first_amount = first(purchase).amount,
--   first_items = first(purchase).items | order by first_purchase
SELECT x.id, x.first_purchase, x.first_amount, x.first_items
FROM (
  SELECT p.id,
         CASE WHEN jsonb_typeof(p.traits -> 'plan') = 'string' THEN p.traits ->> 'plan' END AS plan,
         f.ts AS first_purchase,
         CASE WHEN jsonb_typeof(f.props -> 'amount') = 'number' THEN (f.props ->> 'amount')::numeric END AS first_amount,
         CASE WHEN jsonb_typeof(f.props -> 'items') = 'number' THEN (f.props ->> 'items')::numeric END AS first_items,
         f.message_id IS NOT NULL AS bought
  FROM profiles p
  LEFT JOIN LATERAL (
    SELECT e.ts, e.props, e.message_id FROM events e
     WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase'
     ORDER BY e.ts ASC, e.message_id COLLATE "C" ASC
     LIMIT 1
  ) f ON true
  WHERE p.merged_into IS NULL
) x
WHERE x.plan IN ('pro', 'enterprise') AND x.bought
ORDER BY x.first_purchase ASC NULLS LAST, x.id
;
-- where count(purchase where currency = "EUR" and amount > 100) > 0
-- | select id, big_eur = count(purchase where currency = "EUR" and amount > 100), last_amount = last(purchase).amount
SELECT x.id, x.big_eur, x.last_amount
FROM (
  SELECT p.id,
         (SELECT count(*) FROM events e
           WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase'
             AND CASE WHEN jsonb_typeof(e.props -> 'currency') = 'string' THEN e.props ->> 'currency' END = 'EUR'
             AND CASE WHEN jsonb_typeof(e.props -> 'amount') = 'number' THEN (e.props ->> 'amount')::numeric END > 100) AS big_eur,
         (SELECT CASE WHEN jsonb_typeof(e.props -> 'amount') = 'number' THEN (e.props ->> 'amount')::numeric END
            FROM events e
           WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase'
           ORDER BY e.ts DESC, e.message_id COLLATE "C" ASC
           LIMIT 1) AS last_amount
  FROM profiles p
  WHERE p.merged_into IS NULL
) x
WHERE x.big_eur > 0
ORDER BY x.id
;
-- select id, signed_up = first(signup).ts, last_active = last(any).ts | where signed_up < 2024-01-01
-- | order by last_active desc
SELECT x.id, x.signed_up, x.last_active
FROM (
  SELECT p.id,
         (SELECT min(e.ts) FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'signup') AS signed_up,
         (SELECT max(e.ts) FROM events e WHERE e.profile_id = p.id) AS last_active
  FROM profiles p
  WHERE p.merged_into IS NULL
) x
WHERE x.signed_up < '2024-01-01T00:00:00Z'::timestamptz
ORDER BY x.last_active DESC NULLS LAST, x.id
;
-- select id, best_h1 = max(nps.score between 2024-01-01 and 2024-06-30), avg_h2 = avg(nps.score since 2024-07-01),
-- latest = last(nps).score | where best_h1 is not null or avg_h2 is not null
SELECT x.id, x.best_h1, x.avg_h2, x.latest
FROM (
  SELECT p.id,
         (SELECT max(CASE WHEN jsonb_typeof(e.props -> 'score') = 'number' THEN (e.props ->> 'score')::numeric END)
            FROM events e
           WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'nps'
             AND e.ts >= '2024-01-01T00:00:00Z'::timestamptz AND e.ts < '2024-07-01T00:00:00Z'::timestamptz) AS best_h1,
         (SELECT avg(CASE WHEN jsonb_typeof(e.props -> 'score') = 'number' THEN (e.props ->> 'score')::numeric END)
            FROM events e
           WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'nps'
             AND e.ts >= '2024-07-01T00:00:00Z'::timestamptz) AS avg_h2,
         (SELECT CASE WHEN jsonb_typeof(e.props -> 'score') = 'number' THEN (e.props ->> 'score')::numeric END
            FROM events e
           WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'nps'
           ORDER BY e.ts DESC, e.message_id COLLATE "C" ASC
           LIMIT 1) AS latest
  FROM profiles p
  WHERE p.merged_into IS NULL
) x
WHERE x.best_h1 IS NOT NULL OR x.avg_h2 IS NOT NULL
ORDER BY x.id
;
-- where did purchase and sum(purchase.amount since 2024-10-01) = 0
-- | select id, email, last_purchase = last(purchase).ts, total = sum(purchase.amount)
SELECT x.id, x.email, x.last_purchase, x.total
FROM (
  SELECT p.id,
         (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'email'
           ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS email,
         (SELECT count(*) FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase') AS purchases,
         (SELECT coalesce(sum(CASE WHEN jsonb_typeof(e.props -> 'amount') = 'number' THEN (e.props ->> 'amount')::numeric END), 0)
            FROM events e
           WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase'
             AND e.ts >= '2024-10-01T00:00:00Z'::timestamptz) AS since_october,
         (SELECT max(e.ts) FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase') AS last_purchase,
         (SELECT coalesce(sum(CASE WHEN jsonb_typeof(e.props -> 'amount') = 'number' THEN (e.props ->> 'amount')::numeric END), 0)
            FROM events e
           WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase') AS total
  FROM profiles p
  WHERE p.merged_into IS NULL
) x
WHERE x.purchases > 0 AND x.since_october = 0
ORDER BY x.id
;
-- select id, pages = count(page), screens = count(screen), views = count(product_viewed),
-- recent = count(any within 30 days) | where pages + screens >= 5 | order by pages desc | limit 10
SELECT x.id, x.pages, x.screens, x.views, x.recent
FROM (
  SELECT p.id,
         (SELECT count(*) FROM events e WHERE e.profile_id = p.id AND e.type = 'page') AS pages,
         (SELECT count(*) FROM events e WHERE e.profile_id = p.id AND e.type = 'screen') AS screens,
         (SELECT count(*) FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'product_viewed') AS views,
         (SELECT count(*) FROM events e
           WHERE e.profile_id = p.id
             AND e.ts >= '2025-01-01T00:00:00Z'::timestamptz - interval '30 days'
             AND e.ts <= '2025-01-01T00:00:00Z'::timestamptz) AS recent
  FROM profiles p
  WHERE p.merged_into IS NULL
) x
WHERE x.pages + x.screens >= 5
ORDER BY x.pages DESC NULLS LAST, x.id
LIMIT 10
;
-- where count(`Order Completed`) > 0 | select id, legacy_orders = count(`Order Completed`),
-- legacy_revenue = sum(`Order Completed`.amount), first_legacy = first(`Order Completed`)
SELECT x.id, x.legacy_orders, x.legacy_revenue, x.first_legacy
FROM (
  SELECT p.id, count(e.message_id) AS legacy_orders,
         coalesce(sum(CASE WHEN jsonb_typeof(e.props -> 'amount') = 'number' THEN (e.props ->> 'amount')::numeric END), 0) AS legacy_revenue,
         min(e.ts) AS first_legacy
  FROM profiles p
  LEFT JOIN events e ON e.profile_id = p.id AND e.type = 'track' AND e.name = 'Order Completed'
  WHERE p.merged_into IS NULL
  GROUP BY p.id
) x
WHERE x.legacy_orders > 0
ORDER BY x.id
;
-- where count(login where method = "google" and ts >= 2024-12-01) > 0
-- | select id, user_id, google_logins = count(login where method = "google")
SELECT x.id, x.user_id, x.google_logins
FROM (
  SELECT p.id,
         (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'user_id'
           ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS user_id,
         (SELECT count(*) FROM events e
           WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'login'
             AND CASE WHEN jsonb_typeof(e.props -> 'method') = 'string' THEN e.props ->> 'method' END = 'google'
             AND e.ts >= '2024-12-01T00:00:00Z'::timestamptz) AS december,
         (SELECT count(*) FROM events e
           WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'login'
             AND CASE WHEN jsonb_typeof(e.props -> 'method') = 'string' THEN e.props ->> 'method' END = 'google') AS google_logins
  FROM profiles p
  WHERE p.merged_into IS NULL
) x
WHERE x.december > 0
ORDER BY x.id
;
-- where did refund | select email, count(refund), sum(refund.amount)
SELECT x.email, x.count_refund, x.sum_refund_amount
FROM (
  SELECT p.id,
         (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'email'
           ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS email,
         (SELECT count(*) FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'refund') AS count_refund,
         (SELECT coalesce(sum(CASE WHEN jsonb_typeof(e.props -> 'amount') = 'number' THEN (e.props ->> 'amount')::numeric END), 0)
            FROM events e
           WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'refund') AS sum_refund_amount
  FROM profiles p
  WHERE p.merged_into IS NULL
) x
WHERE x.count_refund > 0
ORDER BY x.id
