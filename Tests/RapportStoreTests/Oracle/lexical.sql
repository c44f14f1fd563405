-- Oracle for Grammar/examples/lexical.rql. Durations: min minute, h hour, d day, w 7 days,
-- mo calendar month, y calendar year. A timestamp without a zone is UTC.

-- PROFILES | WHERE plan = 'pro' AND country IN ("DE", 'FR') AND newsletter = TRUE | SELECT id, email
-- | ORDER BY id DESC | LIMIT 3
SELECT x.id, x.email
FROM (
  SELECT p.id,
         (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'email'
           ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS email,
         CASE WHEN jsonb_typeof(p.traits -> 'plan') = 'string' THEN p.traits ->> 'plan' END AS plan,
         CASE WHEN jsonb_typeof(p.traits -> 'country') = 'string' THEN p.traits ->> 'country' END AS country,
         CASE WHEN jsonb_typeof(p.traits -> 'newsletter') = 'boolean' THEN (p.traits ->> 'newsletter')::boolean END AS newsletter
  FROM profiles p
  WHERE p.merged_into IS NULL
) x
WHERE x.plan = 'pro' AND x.country IN ('DE', 'FR') AND x.newsletter = true
ORDER BY x.id DESC
LIMIT 3
;
-- Where company = "O'Reilly \"Media\"; DROP TABLE profiles; --" OR company = 'Robert\'); DROP TABLE students;--'
-- | Select id, company
SELECT x.id, x.company
FROM (
  SELECT p.id,
         CASE WHEN jsonb_typeof(p.traits -> 'company') = 'string' THEN p.traits ->> 'company' END AS company
  FROM profiles p
  WHERE p.merged_into IS NULL
) x
WHERE x.company = 'O''Reilly "Media"; DROP TABLE profiles; --'
   OR x.company = 'Robert''); DROP TABLE students;--'
ORDER BY x.id
;
-- where `first name` in ("Zoë", "Renée", "Sam 🚀", "さくら", "Léa") | select id, `first name`
SELECT x.id, x."first name"
FROM (
  SELECT p.id,
         CASE WHEN jsonb_typeof(p.traits -> 'first name') = 'string' THEN p.traits ->> 'first name' END AS "first name"
  FROM profiles p
  WHERE p.merged_into IS NULL
) x
WHERE x."first name" IN (U&'Zo\00EB', U&'Ren\00E9e', U&'Sam \+01F680', U&'\3055\304F\3089', U&'L\00E9a')
ORDER BY x.id
;
-- where company matches "^\\$1 " or company = "日本商事" | select id, company
SELECT x.id, x.company
FROM (
  SELECT p.id,
         CASE WHEN jsonb_typeof(p.traits -> 'company') = 'string' THEN p.traits ->> 'company' END AS company
  FROM profiles p
  WHERE p.merged_into IS NULL
) x
WHERE x.company ~ '^\$1 ' OR x.company = U&'\65E5\672C\5546\4E8B'
ORDER BY x.id
;
-- events | where name = "nps" and (props.comment contains "\n" or props.comment contains "\t")
-- | select ts, profile_id, comment = props.comment
SELECT x.ts, x.profile_id, x.comment
FROM (
  SELECT e.ts, e.profile_id, e.message_id, e.name,
         CASE WHEN jsonb_typeof(e.props -> 'comment') = 'string' THEN e.props ->> 'comment' END AS comment
  FROM events e
) x
WHERE x.name = 'nps' AND (strpos(x.comment, E'\n') > 0 OR strpos(x.comment, E'\t') > 0)
ORDER BY x.ts, x.message_id COLLATE "C"
;
-- events | where ts >= 2024-03-01T10:00:00+02:00 and ts < 2024-03-05T12:30 | select ts, type, name
SELECT e.ts, e.type, e.name
FROM events e
WHERE e.ts >= '2024-03-01T08:00:00Z'::timestamptz AND e.ts < '2024-03-05T12:30:00Z'::timestamptz
ORDER BY e.ts, e.message_id COLLATE "C"
;
-- count profiles where did login within 12h and not did login within 30min
SELECT count(*) AS count
FROM profiles p
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM events e
              WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'login'
                AND e.ts >= '2025-01-01T00:00:00Z'::timestamptz - interval '12 hours'
                AND e.ts <= '2025-01-01T00:00:00Z'::timestamptz)
  AND NOT EXISTS (SELECT 1 FROM events e
                  WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'login'
                    AND e.ts >= '2025-01-01T00:00:00Z'::timestamptz - interval '30 minutes'
                    AND e.ts <= '2025-01-01T00:00:00Z'::timestamptz)
;
-- where count(any within 90d) >= 3 and did login within 2w and (did purchase within 3mo or did nps within 1y)
-- | select id
SELECT p.id
FROM profiles p
WHERE p.merged_into IS NULL
  AND (SELECT count(*) FROM events e
        WHERE e.profile_id = p.id
          AND e.ts >= '2025-01-01T00:00:00Z'::timestamptz - interval '90 days'
          AND e.ts <= '2025-01-01T00:00:00Z'::timestamptz) >= 3
  AND EXISTS (SELECT 1 FROM events e
              WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'login'
                AND e.ts >= '2025-01-01T00:00:00Z'::timestamptz - interval '14 days'
                AND e.ts <= '2025-01-01T00:00:00Z'::timestamptz)
  AND (EXISTS (SELECT 1 FROM events e
               WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase'
                 AND e.ts >= '2025-01-01T00:00:00Z'::timestamptz - interval '3 months'
                 AND e.ts <= '2025-01-01T00:00:00Z'::timestamptz)
       OR EXISTS (SELECT 1 FROM events e
                  WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'nps'
                    AND e.ts >= '2025-01-01T00:00:00Z'::timestamptz - interval '1 year'
                    AND e.ts <= '2025-01-01T00:00:00Z'::timestamptz))
ORDER BY p.id
;
-- where did signup within 1 month and not did signup within 1 week | select id, signed_up = first(signup).ts
SELECT p.id,
       (SELECT min(e.ts) FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'signup') AS signed_up
FROM profiles p
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM events e
              WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'signup'
                AND e.ts >= '2025-01-01T00:00:00Z'::timestamptz - interval '1 month'
                AND e.ts <= '2025-01-01T00:00:00Z'::timestamptz)
  AND NOT EXISTS (SELECT 1 FROM events e
                  WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'signup'
                    AND e.ts >= '2025-01-01T00:00:00Z'::timestamptz - interval '7 days'
                    AND e.ts <= '2025-01-01T00:00:00Z'::timestamptz)
ORDER BY p.id
;
-- count profiles where did login within 2 hours or did login within 45 minutes or did login within 1 minute
SELECT count(*) AS count
FROM profiles p
WHERE p.merged_into IS NULL
  AND (EXISTS (SELECT 1 FROM events e
               WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'login'
                 AND e.ts >= '2025-01-01T00:00:00Z'::timestamptz - interval '2 hours'
                 AND e.ts <= '2025-01-01T00:00:00Z'::timestamptz)
       OR EXISTS (SELECT 1 FROM events e
                  WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'login'
                    AND e.ts >= '2025-01-01T00:00:00Z'::timestamptz - interval '45 minutes'
                    AND e.ts <= '2025-01-01T00:00:00Z'::timestamptz)
       OR EXISTS (SELECT 1 FROM events e
                  WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'login'
                    AND e.ts >= '2025-01-01T00:00:00Z'::timestamptz - interval '1 minute'
                    AND e.ts <= '2025-01-01T00:00:00Z'::timestamptz))
;
-- count profiles where did signup within 2 years and not did signup within 1 year
SELECT count(*) AS count
FROM profiles p
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM events e
              WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'signup'
                AND e.ts >= '2025-01-01T00:00:00Z'::timestamptz - interval '2 years'
                AND e.ts <= '2025-01-01T00:00:00Z'::timestamptz)
  AND NOT EXISTS (SELECT 1 FROM events e
                  WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'signup'
                    AND e.ts >= '2025-01-01T00:00:00Z'::timestamptz - interval '1 year'
                    AND e.ts <= '2025-01-01T00:00:00Z'::timestamptz)
;
-- count events where ts > 2024-12-31T23:59:59.999Z and ts <= 2025-01-31T23:59:59-05:00
SELECT count(*) AS count
FROM events e
WHERE e.ts > '2024-12-31T23:59:59.999Z'::timestamptz AND e.ts <= '2025-02-01T04:59:59Z'::timestamptz
