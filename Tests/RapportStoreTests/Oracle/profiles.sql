-- Oracle for Grammar/examples/profiles.rql: one statement per query, in order.
-- "now" is 2025-01-01T00:00:00Z. Live profiles only; a trait of another type is null.

-- profiles
SELECT p.id,
       (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'user_id'
         ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS user_id,
       (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'email'
         ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS email
FROM profiles p
WHERE p.merged_into IS NULL
ORDER BY p.id
;
-- where country = "DE" and plan != "free" | select id, email, plan, seats | order by email asc
SELECT x.id, x.email, x.plan, x.seats
FROM (
  SELECT p.id,
         (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'email'
           ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS email,
         CASE WHEN jsonb_typeof(p.traits -> 'plan') = 'string' THEN p.traits ->> 'plan' END AS plan,
         CASE WHEN jsonb_typeof(p.traits -> 'seats') = 'number' THEN (p.traits ->> 'seats')::numeric END AS seats,
         CASE WHEN jsonb_typeof(p.traits -> 'country') = 'string' THEN p.traits ->> 'country' END AS country
  FROM profiles p
  WHERE p.merged_into IS NULL
) x
WHERE x.country = 'DE' AND x.plan <> 'free'
ORDER BY x.email COLLATE "C" ASC NULLS LAST, x.id
;
-- where first_seen >= 2024-01-01 and last_seen >= 2024-10-01 | select id, user_id, first_seen, last_seen
-- | order by first_seen desc | limit 10 offset 10
SELECT x.id, x.user_id, x.first_seen, x.last_seen
FROM (
  SELECT p.id,
         (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'user_id'
           ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS user_id,
         coalesce((SELECT min(e.ts) FROM events e WHERE e.profile_id = p.id), p.created_at) AS first_seen,
         coalesce((SELECT max(e.ts) FROM events e WHERE e.profile_id = p.id), p.created_at) AS last_seen
  FROM profiles p
  WHERE p.merged_into IS NULL
) x
WHERE x.first_seen >= '2024-01-01T00:00:00Z'::timestamptz AND x.last_seen >= '2024-10-01T00:00:00Z'::timestamptz
ORDER BY x.first_seen DESC NULLS LAST, x.id
LIMIT 10 OFFSET 10
;
-- where plan = "enterprise" | where seats >= 10 | select id, email, company, seats
-- | order by seats desc, id asc | limit 5
SELECT x.id, x.email, x.company, x.seats
FROM (
  SELECT p.id,
         (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'email'
           ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS email,
         CASE WHEN jsonb_typeof(p.traits -> 'plan') = 'string' THEN p.traits ->> 'plan' END AS plan,
         CASE WHEN jsonb_typeof(p.traits -> 'company') = 'string' THEN p.traits ->> 'company' END AS company,
         CASE WHEN jsonb_typeof(p.traits -> 'seats') = 'number' THEN (p.traits ->> 'seats')::numeric END AS seats
  FROM profiles p
  WHERE p.merged_into IS NULL
) x
WHERE x.plan = 'enterprise' AND x.seats >= 10
ORDER BY x.seats DESC NULLS LAST, x.id ASC
LIMIT 5
;
-- select id, created_at, updated_at, first_seen, last_seen | order by id desc | limit 5
SELECT p.id, p.created_at, p.updated_at,
       coalesce((SELECT min(e.ts) FROM events e WHERE e.profile_id = p.id), p.created_at) AS first_seen,
       coalesce((SELECT max(e.ts) FROM events e WHERE e.profile_id = p.id), p.created_at) AS last_seen
FROM profiles p
WHERE p.merged_into IS NULL
ORDER BY p.id DESC
LIMIT 5
;
-- where last_seen - first_seen > 365 days | select id, email, first_seen, last_seen | order by first_seen
SELECT x.id, x.email, x.first_seen, x.last_seen
FROM (
  SELECT p.id,
         (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'email'
           ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS email,
         coalesce((SELECT min(e.ts) FROM events e WHERE e.profile_id = p.id), p.created_at) AS first_seen,
         coalesce((SELECT max(e.ts) FROM events e WHERE e.profile_id = p.id), p.created_at) AS last_seen
  FROM profiles p
  WHERE p.merged_into IS NULL
) x
WHERE x.last_seen - x.first_seen > interval '365 days'
ORDER BY x.first_seen ASC NULLS LAST, x.id
