-- columns: id number, email text, plan text, country text, age number
-- $1 = jsonb {"plan":"pro"}
-- $2 = jsonb {"country":"DE"}
-- $3 = jsonb {"country":"AT"}
-- $4 = jsonb {"country":"CH"}
-- $5 = text "email"
-- $6 = text "plan"
-- $7 = text "country"
-- $8 = text "age"
SELECT (p.id)::text AS c1, (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $5 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c2, (CASE WHEN jsonb_typeof(p.traits -> $6) = 'string' THEN p.traits ->> $6 END) AS c3, (CASE WHEN jsonb_typeof(p.traits -> $7) = 'string' THEN p.traits ->> $7 END) AS c4, ((CASE WHEN jsonb_typeof(p.traits -> $8) = 'number' THEN (p.traits ->> $8)::numeric END))::text AS c5
FROM profiles p
WHERE p.merged_into IS NULL
  AND p.traits @> $1::jsonb
  AND (p.traits @> $2::jsonb OR p.traits @> $3::jsonb OR p.traits @> $4::jsonb)
ORDER BY p.id;

-- columns: id number, user_id text, plan text, country text
-- $1 = text "age"
-- $2 = text "user_id"
-- $3 = text "plan"
-- $4 = text "country"
SELECT (p.id)::text AS c1, (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $2 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c2, (CASE WHEN jsonb_typeof(p.traits -> $3) = 'string' THEN p.traits ->> $3 END) AS c3, (CASE WHEN jsonb_typeof(p.traits -> $4) = 'string' THEN p.traits ->> $4 END) AS c4
FROM profiles p
WHERE p.merged_into IS NULL
  AND ((CASE WHEN jsonb_typeof(p.traits -> $1) = 'number' THEN (p.traits ->> $1)::numeric END) IS NULL)
ORDER BY p.id;

-- columns: id number, first name text, age number
-- $1 = text "age"
-- $2 = bigint 30
-- $3 = bigint 40
-- $4 = text "first name"
SELECT (p.id)::text AS c1, (CASE WHEN jsonb_typeof(p.traits -> $4) = 'string' THEN p.traits ->> $4 END) AS c2, ((CASE WHEN jsonb_typeof(p.traits -> $1) = 'number' THEN (p.traits ->> $1)::numeric END))::text AS c3
FROM profiles p
WHERE p.merged_into IS NULL
  AND ((CASE WHEN jsonb_typeof(p.traits -> $1) = 'number' THEN (p.traits ->> $1)::numeric END) >= $2::bigint)
  AND ((CASE WHEN jsonb_typeof(p.traits -> $1) = 'number' THEN (p.traits ->> $1)::numeric END) < $3::bigint)
ORDER BY (CASE WHEN jsonb_typeof(p.traits -> $1) = 'number' THEN (p.traits ->> $1)::numeric END) NULLS LAST, (CASE WHEN jsonb_typeof(p.traits -> $4) = 'string' THEN p.traits ->> $4 END) COLLATE "C" DESC NULLS LAST, p.id;

-- columns: id number, email text, newsletter boolean, plan text
-- $1 = text "newsletter"
-- $2 = text "plan"
-- $3 = text "email"
SELECT (p.id)::text AS c1, (SELECT i.value FROM identities i WHERE i.profile_id = p.id AND i.kind = $3 ORDER BY i.last_seen DESC, i.value COLLATE "C" LIMIT 1) AS c2, ((CASE WHEN jsonb_typeof(p.traits -> $1) = 'boolean' THEN (p.traits ->> $1)::boolean END))::text AS c3, (CASE WHEN jsonb_typeof(p.traits -> $2) = 'string' THEN p.traits ->> $2 END) AS c4
FROM profiles p
WHERE p.merged_into IS NULL
  AND (CASE WHEN jsonb_typeof(p.traits -> $1) = 'boolean' THEN (p.traits ->> $1)::boolean END)
  AND ((CASE WHEN jsonb_typeof(p.traits -> $2) = 'string' THEN p.traits ->> $2 END) IS NOT NULL)
ORDER BY p.id;

-- columns: id number, first name text, surname text, country text
-- $1 = jsonb {"newsletter":false}
-- $2 = text "first name"
-- $3 = text "last name"
-- $4 = text "country"
SELECT (p.id)::text AS c1, (CASE WHEN jsonb_typeof(p.traits -> $2) = 'string' THEN p.traits ->> $2 END) AS c2, (CASE WHEN jsonb_typeof(p.traits -> $3) = 'string' THEN p.traits ->> $3 END) AS c3, (CASE WHEN jsonb_typeof(p.traits -> $4) = 'string' THEN p.traits ->> $4 END) AS c4
FROM profiles p
WHERE p.merged_into IS NULL
  AND p.traits @> $1::jsonb
ORDER BY p.id;

-- columns: id number, company text, seats number
-- $1 = text "seats"
-- $2 = bigint 0
-- $3 = text "company"
SELECT (p.id)::text AS c1, (CASE WHEN jsonb_typeof(p.traits -> $3) = 'string' THEN p.traits ->> $3 END) AS c2, ((CASE WHEN jsonb_typeof(p.traits -> $1) = 'number' THEN (p.traits ->> $1)::numeric END))::text AS c3
FROM profiles p
WHERE p.merged_into IS NULL
  AND ((CASE WHEN jsonb_typeof(p.traits -> $1) = 'number' THEN (p.traits ->> $1)::numeric END) IS NOT NULL)
  AND ((CASE WHEN jsonb_typeof(p.traits -> $1) = 'number' THEN (p.traits ->> $1)::numeric END) > $2::bigint)
ORDER BY (CASE WHEN jsonb_typeof(p.traits -> $1) = 'number' THEN (p.traits ->> $1)::numeric END) DESC NULLS LAST, p.id
LIMIT 10;

-- columns: id number, first name text, last name text, age number, newsletter boolean
-- $1 = jsonb {"last name":"O'Brien"}
-- $2 = text "first name"
-- $3 = text "last name"
-- $4 = text "age"
-- $5 = text "newsletter"
SELECT (p.id)::text AS c1, (CASE WHEN jsonb_typeof(p.traits -> $2) = 'string' THEN p.traits ->> $2 END) AS c2, (CASE WHEN jsonb_typeof(p.traits -> $3) = 'string' THEN p.traits ->> $3 END) AS c3, ((CASE WHEN jsonb_typeof(p.traits -> $4) = 'number' THEN (p.traits ->> $4)::numeric END))::text AS c4, ((CASE WHEN jsonb_typeof(p.traits -> $5) = 'boolean' THEN (p.traits ->> $5)::boolean END))::text AS c5
FROM profiles p
WHERE p.merged_into IS NULL
  AND p.traits @> $1::jsonb
  AND ((CASE WHEN jsonb_typeof(p.traits -> $2) = 'string' THEN p.traits ->> $2 END) IS NOT NULL)
ORDER BY p.id;
