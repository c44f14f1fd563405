-- Oracle for Grammar/examples/traits.rql. Traits are read by their catalogue type: plan,
-- country, company, first name, last name text; age, seats number; newsletter boolean.
-- A stored value of another JSON type (or JSON null, or no key) is null.

-- where traits.plan = "pro" and country in ("DE", "AT", "CH") | select id, email, plan, country, age
SELECT x.id, x.email, x.plan, x.country, x.age
FROM (
  SELECT p.id,
         (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'email'
           ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS email,
         CASE WHEN jsonb_typeof(p.traits -> 'plan') = 'string' THEN p.traits ->> 'plan' END AS plan,
         CASE WHEN jsonb_typeof(p.traits -> 'country') = 'string' THEN p.traits ->> 'country' END AS country,
         CASE WHEN jsonb_typeof(p.traits -> 'age') = 'number' THEN (p.traits ->> 'age')::numeric END AS age
  FROM profiles p
  WHERE p.merged_into IS NULL
) x
WHERE x.plan = 'pro' AND x.country IN ('DE', 'AT', 'CH')
ORDER BY x.id
;
-- where age is null | select id, user_id, plan, country
SELECT x.id, x.user_id, x.plan, x.country
FROM (
  SELECT p.id,
         (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'user_id'
           ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS user_id,
         CASE WHEN jsonb_typeof(p.traits -> 'plan') = 'string' THEN p.traits ->> 'plan' END AS plan,
         CASE WHEN jsonb_typeof(p.traits -> 'country') = 'string' THEN p.traits ->> 'country' END AS country,
         CASE WHEN jsonb_typeof(p.traits -> 'age') = 'number' THEN (p.traits ->> 'age')::numeric END AS age
  FROM profiles p
  WHERE p.merged_into IS NULL
) x
WHERE x.age IS NULL
ORDER BY x.id
;
-- where age >= 30 and age < 40 | select id, `first name`, age | order by age, `first name` desc
SELECT x.id, x."first name", x.age
FROM (
  SELECT p.id,
         CASE WHEN jsonb_typeof(p.traits -> 'first name') = 'string' THEN p.traits ->> 'first name' END AS "first name",
         CASE WHEN jsonb_typeof(p.traits -> 'age') = 'number' THEN (p.traits ->> 'age')::numeric END AS age
  FROM profiles p
  WHERE p.merged_into IS NULL
) x
WHERE x.age >= 30 AND x.age < 40
ORDER BY x.age ASC NULLS LAST, x."first name" COLLATE "C" DESC NULLS LAST, x.id
;
-- where newsletter and plan is not null | select id, email, newsletter, plan
SELECT x.id, x.email, x.newsletter, x.plan
FROM (
  SELECT p.id,
         (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = 'email'
           ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS email,
         CASE WHEN jsonb_typeof(p.traits -> 'newsletter') = 'boolean' THEN (p.traits ->> 'newsletter')::boolean END AS newsletter,
         CASE WHEN jsonb_typeof(p.traits -> 'plan') = 'string' THEN p.traits ->> 'plan' END AS plan
  FROM profiles p
  WHERE p.merged_into IS NULL
) x
WHERE x.newsletter AND x.plan IS NOT NULL
ORDER BY x.id
;
-- where newsletter = false | select id, `first name`, surname = traits.`last name`, country
SELECT x.id, x."first name", x.surname, x.country
FROM (
  SELECT p.id,
         CASE WHEN jsonb_typeof(p.traits -> 'newsletter') = 'boolean' THEN (p.traits ->> 'newsletter')::boolean END AS newsletter,
         CASE WHEN jsonb_typeof(p.traits -> 'first name') = 'string' THEN p.traits ->> 'first name' END AS "first name",
         CASE WHEN jsonb_typeof(p.traits -> 'last name') = 'string' THEN p.traits ->> 'last name' END AS surname,
         CASE WHEN jsonb_typeof(p.traits -> 'country') = 'string' THEN p.traits ->> 'country' END AS country
  FROM profiles p
  WHERE p.merged_into IS NULL
) x
WHERE x.newsletter = false
ORDER BY x.id
;
-- where seats is not null and seats > 0 | select id, company, seats | order by seats desc | limit 10
SELECT x.id, x.company, x.seats
FROM (
  SELECT p.id,
         CASE WHEN jsonb_typeof(p.traits -> 'company') = 'string' THEN p.traits ->> 'company' END AS company,
         CASE WHEN jsonb_typeof(p.traits -> 'seats') = 'number' THEN (p.traits ->> 'seats')::numeric END AS seats
  FROM profiles p
  WHERE p.merged_into IS NULL
) x
WHERE x.seats IS NOT NULL AND x.seats > 0
ORDER BY x.seats DESC NULLS LAST, x.id
LIMIT 10
;
-- where traits.`last name` = "O'Brien" and `first name` is not null
-- | select id, `first name`, `last name`, age, newsletter
SELECT x.id, x."first name", x."last name", x.age, x.newsletter
FROM (
  SELECT p.id,
         CASE WHEN jsonb_typeof(p.traits -> 'first name') = 'string' THEN p.traits ->> 'first name' END AS "first name",
         CASE WHEN jsonb_typeof(p.traits -> 'last name') = 'string' THEN p.traits ->> 'last name' END AS "last name",
         CASE WHEN jsonb_typeof(p.traits -> 'age') = 'number' THEN (p.traits ->> 'age')::numeric END AS age,
         CASE WHEN jsonb_typeof(p.traits -> 'newsletter') = 'boolean' THEN (p.traits ->> 'newsletter')::boolean END AS newsletter
  FROM profiles p
  WHERE p.merged_into IS NULL
) x
WHERE x."last name" = 'O''Brien' AND x."first name" IS NOT NULL
ORDER BY x.id
