-- Funnels and customer value (issue 5).

-- A funnel's later steps look up, for each profile still in the funnel, its first event of a
-- name at or after the previous step's time; `did E` and value fields read a profile's events
-- of one name. Both are index-only reads here. (On 10M events: about 200 MB.)
CREATE INDEX IF NOT EXISTS events_name_profile_ts ON events (name, profile_id, ts) WHERE type = 'track';
