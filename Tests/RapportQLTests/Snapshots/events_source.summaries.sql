-- columns: ts timestamp, type text, name text, profile_id number, message_id text
-- $1 = text "purchase"
-- $2 = timestamptz now
-- $3 = interval 30 days
SELECT extract(epoch FROM (e.ts))::text AS c1, e.type AS c2, e.name AS c3, (e.profile_id)::text AS c4, e.message_id AS c5
FROM events e
WHERE ((e.name = $1) AND (e.ts >= ($2::timestamptz - $3::interval) AND e.ts <= $2::timestamptz))
ORDER BY e.ts, e.message_id;

-- columns: currency text, n number, revenue number, avg_amount number, priced number
-- $1 = text "purchase"
-- $2 = timestamptz now
-- $3 = interval 90 days
-- $4 = text "currency"
-- $5 = text "amount"
SELECT (CASE WHEN jsonb_typeof(e.props -> $4) = 'string' THEN e.props ->> $4 END) AS c1, (count(*))::text AS c2, (COALESCE(sum((CASE WHEN jsonb_typeof(e.props -> $5) = 'number' THEN (e.props ->> $5)::numeric END)), 0))::text AS c3, (avg((CASE WHEN jsonb_typeof(e.props -> $5) = 'number' THEN (e.props ->> $5)::numeric END)))::text AS c4, (count((CASE WHEN jsonb_typeof(e.props -> $5) = 'number' THEN (e.props ->> $5)::numeric END)))::text AS c5
FROM events e
WHERE ((e.name = $1) AND (e.ts >= ($2::timestamptz - $3::interval) AND e.ts <= $2::timestamptz))
GROUP BY (CASE WHEN jsonb_typeof(e.props -> $4) = 'string' THEN e.props ->> $4 END)
ORDER BY (CASE WHEN jsonb_typeof(e.props -> $4) = 'string' THEN e.props ->> $4 END) COLLATE "C" NULLS LAST;

-- columns: name text, views number
-- $1 = text "page"
SELECT e.name AS c1, (count(*))::text AS c2
FROM events e
WHERE (e.type = $1)
GROUP BY e.name
ORDER BY count(*) DESC NULLS LAST, e.name COLLATE "C" NULLS LAST, e.name COLLATE "C" NULLS LAST
LIMIT 5;

-- columns: campaign text, n number, first_ts timestamp, last_ts timestamp
-- $1 = text "campaign"
-- $2 = text "source"
SELECT q.c1 AS c1, (count(*))::text AS c2, extract(epoch FROM (min(q.c2)))::text AS c3, extract(epoch FROM (max(q.c2)))::text AS c4
FROM (SELECT (e.context -> $1 ->> $2) AS c1, e.ts AS c2, e.ts AS t1, e.message_id AS t2
FROM events e
WHERE ((e.context -> $1 ->> $2) IS NOT NULL)) q
GROUP BY q.c1
ORDER BY q.c1 COLLATE "C" NULLS LAST;

-- columns: ts timestamp, name text, profile_id number, locale text
-- $1 = text "locale"
-- $2 = text "ja"
SELECT extract(epoch FROM (e.ts))::text AS c1, e.name AS c2, (e.profile_id)::text AS c3, (e.context ->> $1) AS c4
FROM events e
WHERE starts_with((e.context ->> $1), $2)
ORDER BY e.ts DESC NULLS LAST, e.ts, e.message_id
LIMIT 10;

-- columns: profile_id number, ts timestamp, score number, comment text
-- $1 = text "nps"
-- $2 = text "score"
-- $3 = bigint 6
-- $4 = text "comment"
SELECT (e.profile_id)::text AS c1, extract(epoch FROM (e.ts))::text AS c2, ((CASE WHEN jsonb_typeof(e.props -> $2) = 'number' THEN (e.props ->> $2)::numeric END))::text AS c3, (CASE WHEN jsonb_typeof(e.props -> $4) = 'string' THEN e.props ->> $4 END) AS c4
FROM events e
WHERE (((e.name = $1) AND ((CASE WHEN jsonb_typeof(e.props -> $2) = 'number' THEN (e.props ->> $2)::numeric END) <= $3::bigint)) AND ((CASE WHEN jsonb_typeof(e.props -> $4) = 'string' THEN e.props ->> $4 END) IS NOT NULL))
ORDER BY e.ts, e.message_id;

-- columns: ts timestamp, profile_id number, source text
-- $1 = text "identify"
-- $2 = timestamptz 2024-03-01T00:00:00Z
-- $3 = timestamptz 2024-04-01T00:00:00Z
SELECT extract(epoch FROM (e.ts))::text AS c1, (e.profile_id)::text AS c2, e.source AS c3
FROM events e
WHERE (((e.type = $1) AND (e.ts >= $2::timestamptz)) AND (e.ts < $3::timestamptz))
ORDER BY e.ts, e.message_id;

-- columns: type text, count number
-- $1 = timestamptz now
-- $2 = interval 1 year
SELECT e.type AS c1, (count(*))::text AS c2
FROM events e
WHERE (e.ts >= ($1::timestamptz - $2::interval) AND e.ts <= $1::timestamptz)
GROUP BY e.type
ORDER BY e.type COLLATE "C" NULLS LAST;

-- columns: ts timestamp, profile_id number, amount number, reason text
-- $1 = text "refund"
-- $2 = text "amount"
-- $3 = bigint 0
-- $4 = text "reason"
SELECT extract(epoch FROM (e.ts))::text AS c1, (e.profile_id)::text AS c2, ((CASE WHEN jsonb_typeof(e.props -> $2) = 'number' THEN (e.props ->> $2)::numeric END))::text AS c3, (CASE WHEN jsonb_typeof(e.props -> $4) = 'string' THEN e.props ->> $4 END) AS c4
FROM events e
WHERE ((e.name = $1) AND ((CASE WHEN jsonb_typeof(e.props -> $2) = 'number' THEN (e.props ->> $2)::numeric END) > $3::bigint))
ORDER BY (CASE WHEN jsonb_typeof(e.props -> $2) = 'number' THEN (e.props ->> $2)::numeric END) DESC NULLS LAST, e.ts, e.message_id;

-- columns: ts timestamp, name text, profile_id number, method text
-- $1 = timestamptz now
-- $2 = text "method"
SELECT extract(epoch FROM (e.ts))::text AS c1, e.name AS c2, (e.profile_id)::text AS c3, (CASE WHEN jsonb_typeof(e.props -> $2) = 'string' THEN e.props ->> $2 END) AS c4
FROM events e
WHERE (e.ts > $1::timestamptz)
ORDER BY e.ts, e.message_id;
