-- statement 9
-- columns: id number, signed_up timestamp
-- $1 = text "signup"
-- $2 = timestamptz now
-- $3 = interval 1 month
-- $4 = interval 1 week
SELECT (p.id)::text AS c1, extract(epoch FROM (ea.a1))::text AS c2
FROM profiles p
LEFT JOIN (SELECT e.profile_id, min(e.first_ts) AS a1 FROM event_summaries e WHERE e.type = 'track' AND e.name = $1 GROUP BY e.profile_id) ea ON ea.profile_id = p.id
WHERE p.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = $1 AND e.ts >= ($2::timestamptz - $3::interval) AND e.ts <= $2::timestamptz)
  AND NOT EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.type = 'track' AND e.name = $1 AND e.ts >= ($2::timestamptz - $4::interval) AND e.ts <= $2::timestamptz)
ORDER BY p.id;
