-- Oracle for Grammar/examples/identities.rql. A kind in a predicate stands for all of the
-- profile's identifiers of that kind (true if any matches, false if none does, null if the
-- profile has none); literals are normalised as ingestion does (email: trimmed and
-- lower-cased; phone: digits only). Selected, a kind is the most recently seen identifier
-- (ties: the smallest value).

-- where email = "  Felix.Brown80@Example.COM " | select id, user_id, email, phone
SELECT p.id,
       (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'user_id'
         ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS user_id,
       (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'email'
         ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS email,
       (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'phone'
         ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS phone
FROM profiles p
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM identities i
              WHERE i.profile_id = p.id AND i.kind = 'email' AND i.value = 'felix.brown80@example.com')
ORDER BY p.id
;
-- where email in ("sam.fischer49@example.com", "QUENTIN69@work.example.net") | select id, email
SELECT p.id,
       (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'email'
         ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS email
FROM profiles p
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM identities i
              WHERE i.profile_id = p.id AND i.kind = 'email'
                AND i.value IN ('sam.fischer49@example.com', 'quentin69@work.example.net'))
ORDER BY p.id
;
-- where phone = "+49 (30) 555-0069" or phone = "0049 30 555 0089" | select id, email, phone
SELECT p.id,
       (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'email'
         ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS email,
       (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'phone'
         ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS phone
FROM profiles p
WHERE p.merged_into IS NULL
  AND (EXISTS (SELECT 1 FROM identities i WHERE i.profile_id = p.id AND i.kind = 'phone' AND i.value = '49305550069')
       OR EXISTS (SELECT 1 FROM identities i WHERE i.profile_id = p.id AND i.kind = 'phone' AND i.value = '0049305550089'))
ORDER BY p.id
;
-- where email is null and user_id is null | select id, anonymous_id, first_seen
SELECT p.id,
       (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'anonymous_id'
         ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS anonymous_id,
       coalesce((SELECT min(e.ts) FROM events e WHERE e.profile_id = p.id), p.created_at) AS first_seen
FROM profiles p
WHERE p.merged_into IS NULL
  AND NOT EXISTS (SELECT 1 FROM identities i WHERE i.profile_id = p.id AND i.kind = 'email')
  AND NOT EXISTS (SELECT 1 FROM identities i WHERE i.profile_id = p.id AND i.kind = 'user_id')
ORDER BY p.id
;
-- where email contains "@work.example.net" | select id, user_id, email
SELECT p.id,
       (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'user_id'
         ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS user_id,
       (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'email'
         ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS email
FROM profiles p
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM identities i
              WHERE i.profile_id = p.id AND i.kind = 'email' AND strpos(i.value, '@work.example.net') > 0)
ORDER BY p.id
;
-- count profiles where email != "felix80@work.example.net"
-- (`!=` is the negation of `=`: the profile has an email and none of its emails is equal)
SELECT count(*) AS count
FROM profiles p
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM identities i WHERE i.profile_id = p.id AND i.kind = 'email')
  AND NOT EXISTS (SELECT 1 FROM identities i
                  WHERE i.profile_id = p.id AND i.kind = 'email' AND i.value = 'felix80@work.example.net')
;
-- where anonymous_id starts with "ios-" | select id, user_id, anonymous_id | limit 20
SELECT p.id,
       (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'user_id'
         ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS user_id,
       (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'anonymous_id'
         ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS anonymous_id
FROM profiles p
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM identities i
              WHERE i.profile_id = p.id AND i.kind = 'anonymous_id' AND starts_with(i.value, 'ios-'))
ORDER BY p.id
LIMIT 20
;
-- where phone is not null and email not in ("DARCY.BROWN41@example.com", "quentin.schmidt69@example.com")
-- | select id, email, phone
SELECT p.id,
       (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'email'
         ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS email,
       (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'phone'
         ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS phone
FROM profiles p
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM identities i WHERE i.profile_id = p.id AND i.kind = 'phone')
  AND EXISTS (SELECT 1 FROM identities i WHERE i.profile_id = p.id AND i.kind = 'email')
  AND NOT EXISTS (SELECT 1 FROM identities i
                  WHERE i.profile_id = p.id AND i.kind = 'email'
                    AND i.value IN ('darcy.brown41@example.com', 'quentin.schmidt69@example.com'))
ORDER BY p.id
;
-- where user_id matches "^u-00[0-4][0-9]$" | select id, user_id | order by user_id desc
SELECT x.id, x.user_id
FROM (
  SELECT p.id,
         (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'user_id'
           ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS user_id
  FROM profiles p
  WHERE p.merged_into IS NULL
    AND EXISTS (SELECT 1 FROM identities i
                WHERE i.profile_id = p.id AND i.kind = 'user_id' AND i.value ~ '^u-00[0-4][0-9]$')
) x
ORDER BY x.user_id COLLATE "C" DESC NULLS LAST, x.id
;
-- One customer's purchases by an address typed with spaces and capitals (added with the
-- lateral events pass; written by hand from Grammar/README.md).
SELECT p.id,
       (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'email'
         ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS email,
       (SELECT count(*) FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase') AS purchases,
       (SELECT coalesce(sum(CASE WHEN jsonb_typeof(e.props -> 'amount') = 'number' THEN (e.props ->> 'amount')::numeric END), 0)
          FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase'
           AND e.ts >= '2025-01-01T00:00:00Z'::timestamptz - interval '365 days' AND e.ts <= '2025-01-01T00:00:00Z'::timestamptz) AS spent,
       coalesce((SELECT max(e.ts) FROM events e WHERE e.profile_id = p.id), p.created_at) AS last_seen
FROM profiles p
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM identities i WHERE i.profile_id = p.id AND i.kind = 'email'
              AND i.value IN ('quentin.wagner114@example.com', 'darcy.brown41@example.com'))
ORDER BY p.id
