-- Oracle for Grammar/examples/group_by.rql. Group rows are in key order (ascending, text by
-- code point, false before true, the null key last) unless ordered otherwise. count() counts
-- rows, count(x) non-null values, sum is 0 when nothing fits.

-- group by plan
SELECT x.plan, count(*) AS count
FROM (
  SELECT CASE WHEN jsonb_typeof(p.traits -> 'plan') = 'string' THEN p.traits ->> 'plan' END AS plan
  FROM profiles p
  WHERE p.merged_into IS NULL
) x
GROUP BY x.plan
ORDER BY x.plan COLLATE "C" ASC NULLS LAST
;
-- group by country, plan select n = count(), with_age = count(age), avg_age = avg(age), seats = sum(seats)
SELECT x.country, x.plan, count(*) AS n, count(x.age) AS with_age, avg(x.age) AS avg_age,
       coalesce(sum(x.seats), 0) AS seats
FROM (
  SELECT CASE WHEN jsonb_typeof(p.traits -> 'country') = 'string' THEN p.traits ->> 'country' END AS country,
         CASE WHEN jsonb_typeof(p.traits -> 'plan') = 'string' THEN p.traits ->> 'plan' END AS plan,
         CASE WHEN jsonb_typeof(p.traits -> 'age') = 'number' THEN (p.traits ->> 'age')::numeric END AS age,
         CASE WHEN jsonb_typeof(p.traits -> 'seats') = 'number' THEN (p.traits ->> 'seats')::numeric END AS seats
  FROM profiles p
  WHERE p.merged_into IS NULL
) x
GROUP BY x.country, x.plan
ORDER BY x.country COLLATE "C" ASC NULLS LAST, x.plan COLLATE "C" ASC NULLS LAST
;
-- select plan, spent = sum(purchase.amount), orders = count(purchase)
-- | group by plan select customers = count(), revenue = sum(spent), best = max(spent), avg_orders = avg(orders)
-- | order by revenue desc
SELECT y.plan, count(*) AS customers, coalesce(sum(y.spent), 0) AS revenue, max(y.spent) AS best,
       avg(y.orders) AS avg_orders
FROM (
  SELECT CASE WHEN jsonb_typeof(p.traits -> 'plan') = 'string' THEN p.traits ->> 'plan' END AS plan,
         (SELECT coalesce(sum(CASE WHEN jsonb_typeof(e.props -> 'amount') = 'number' THEN (e.props ->> 'amount')::numeric END), 0)
            FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase') AS spent,
         (SELECT count(*) FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase') AS orders
  FROM profiles p
  WHERE p.merged_into IS NULL
) y
GROUP BY y.plan
ORDER BY coalesce(sum(y.spent), 0) DESC NULLS LAST, y.plan COLLATE "C" ASC NULLS LAST
;
-- where did purchase | group by newsletter select n = count(), youngest = min(age), oldest = max(age)
SELECT x.newsletter, count(*) AS n, min(x.age) AS youngest, max(x.age) AS oldest
FROM (
  SELECT CASE WHEN jsonb_typeof(p.traits -> 'newsletter') = 'boolean' THEN (p.traits ->> 'newsletter')::boolean END AS newsletter,
         CASE WHEN jsonb_typeof(p.traits -> 'age') = 'number' THEN (p.traits ->> 'age')::numeric END AS age
  FROM profiles p
  WHERE p.merged_into IS NULL
    AND EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = 'purchase')
) x
GROUP BY x.newsletter
ORDER BY x.newsletter ASC NULLS LAST
;
-- group by country select n = count() | where n >= 10 | order by n desc, country
SELECT y.country, y.n
FROM (
  SELECT x.country, count(*) AS n
  FROM (
    SELECT CASE WHEN jsonb_typeof(p.traits -> 'country') = 'string' THEN p.traits ->> 'country' END AS country
    FROM profiles p
    WHERE p.merged_into IS NULL
  ) x
  GROUP BY x.country
) y
WHERE y.n >= 10
ORDER BY y.n DESC, y.country COLLATE "C" ASC NULLS LAST
