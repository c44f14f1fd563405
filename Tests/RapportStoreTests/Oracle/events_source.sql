-- Oracle for Grammar/examples/events_source.rql. All stored events, of every type; rows
-- without `order by` (and ties) in ts, then message id order. props.X is read by the
-- catalogue type of the property X (amount, score: number; currency, comment, reason,
-- method: text); context.X as text. A value of another type is null.

-- where name = "purchase" and ts within 30 days   (default columns)
SELECT e.ts, e.type, e.name, e.profile_id, e.message_id
FROM events e
WHERE e.name = 'purchase'
  AND e.ts >= '2025-01-01T00:00:00Z'::timestamptz - interval '30 days'
  AND e.ts <= '2025-01-01T00:00:00Z'::timestamptz
ORDER BY e.ts, e.message_id COLLATE "C"
;
-- where name = "purchase" and ts within 90 days
-- | group by props.currency select n = count(), revenue = sum(props.amount), avg_amount = avg(props.amount),
--   priced = count(props.amount)
SELECT x.currency AS props_currency, count(*) AS n, coalesce(sum(x.amount), 0) AS revenue, avg(x.amount) AS avg_amount,
       count(x.amount) AS priced
FROM (
  SELECT CASE WHEN jsonb_typeof(e.props -> 'currency') = 'string' THEN e.props ->> 'currency' END AS currency,
         CASE WHEN jsonb_typeof(e.props -> 'amount') = 'number' THEN (e.props ->> 'amount')::numeric END AS amount
  FROM events e
  WHERE e.name = 'purchase'
    AND e.ts >= '2025-01-01T00:00:00Z'::timestamptz - interval '90 days'
    AND e.ts <= '2025-01-01T00:00:00Z'::timestamptz
) x
GROUP BY x.currency
ORDER BY x.currency COLLATE "C" ASC NULLS LAST
;
-- where type = "page" | group by name select views = count() | order by views desc, name | limit 5
SELECT e.name, count(*) AS views
FROM events e
WHERE e.type = 'page'
GROUP BY e.name
ORDER BY count(*) DESC, e.name COLLATE "C" ASC NULLS LAST
LIMIT 5
;
-- where context.campaign.source is not null | select campaign = context.campaign.source, ts
-- | group by campaign select n = count(), first_ts = min(ts), last_ts = max(ts)
SELECT x.campaign, count(*) AS n, min(x.ts) AS first_ts, max(x.ts) AS last_ts
FROM (
  SELECT CASE WHEN jsonb_typeof(e.context -> 'campaign' -> 'source') = 'string'
              THEN e.context -> 'campaign' ->> 'source' END AS campaign,
         e.ts
  FROM events e
) x
WHERE x.campaign IS NOT NULL
GROUP BY x.campaign
ORDER BY x.campaign COLLATE "C" ASC NULLS LAST
;
-- where context.locale starts with "ja" | select ts, name, profile_id, locale = context.locale
-- | order by ts desc | limit 10
SELECT e.ts, e.name, e.profile_id,
       CASE WHEN jsonb_typeof(e.context -> 'locale') = 'string' THEN e.context ->> 'locale' END AS locale
FROM events e
WHERE starts_with(CASE WHEN jsonb_typeof(e.context -> 'locale') = 'string' THEN e.context ->> 'locale' END, 'ja')
ORDER BY e.ts DESC, e.message_id COLLATE "C"
LIMIT 10
;
-- where name = "nps" and props.score <= 6 and props.comment is not null
-- | select profile_id, ts, score = props.score, comment = props.comment
SELECT x.profile_id, x.ts, x.score, x.comment
FROM (
  SELECT e.profile_id, e.ts, e.message_id, e.name,
         CASE WHEN jsonb_typeof(e.props -> 'score') = 'number' THEN (e.props ->> 'score')::numeric END AS score,
         CASE WHEN jsonb_typeof(e.props -> 'comment') = 'string' THEN e.props ->> 'comment' END AS comment
  FROM events e
) x
WHERE x.name = 'nps' AND x.score <= 6 AND x.comment IS NOT NULL
ORDER BY x.ts, x.message_id COLLATE "C"
;
-- where type = "identify" and ts >= 2024-03-01 and ts < 2024-04-01 | select ts, profile_id, source
SELECT e.ts, e.profile_id, e.source
FROM events e
WHERE e.type = 'identify'
  AND e.ts >= '2024-03-01T00:00:00Z'::timestamptz AND e.ts < '2024-04-01T00:00:00Z'::timestamptz
ORDER BY e.ts, e.message_id COLLATE "C"
;
-- where ts within 1 year | group by type
SELECT e.type, count(*) AS count
FROM events e
WHERE e.ts >= '2025-01-01T00:00:00Z'::timestamptz - interval '1 year'
  AND e.ts <= '2025-01-01T00:00:00Z'::timestamptz
GROUP BY e.type
ORDER BY e.type COLLATE "C" ASC NULLS LAST
;
-- where name = "refund" and props.amount > 0 | select ts, profile_id, amount = props.amount, reason = props.reason
-- | order by amount desc
SELECT x.ts, x.profile_id, x.amount, x.reason
FROM (
  SELECT e.ts, e.profile_id, e.message_id, e.name,
         CASE WHEN jsonb_typeof(e.props -> 'amount') = 'number' THEN (e.props ->> 'amount')::numeric END AS amount,
         CASE WHEN jsonb_typeof(e.props -> 'reason') = 'string' THEN e.props ->> 'reason' END AS reason
  FROM events e
) x
WHERE x.name = 'refund' AND x.amount > 0
ORDER BY x.amount DESC NULLS LAST, x.ts, x.message_id COLLATE "C"
;
-- where ts > now | select ts, name, profile_id, method = props.method
SELECT e.ts, e.name, e.profile_id,
       CASE WHEN jsonb_typeof(e.props -> 'method') = 'string' THEN e.props ->> 'method' END AS method
FROM events e
WHERE e.ts > '2025-01-01T00:00:00Z'::timestamptz
ORDER BY e.ts, e.message_id COLLATE "C"
