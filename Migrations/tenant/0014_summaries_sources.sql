-- Summaries by source (issue 18): the value chain's network (each profile's acquiring source,
-- the source of its first event in event order) and intimacy (distinct sources per profile)
-- read the raw events twice, sorting all of them by profile. A summary row is now per profile,
-- event and source ('' for events without one: a source name is never empty), and keeps the
-- message id of its first event in event order (ts, then message id in byte order), so that a
-- profile's first event is the least (first_ts, first_message) of its rows.
ALTER TABLE event_summaries ADD COLUMN source text NOT NULL DEFAULT '', ADD COLUMN first_message text NOT NULL DEFAULT '';
ALTER TABLE event_summaries DROP CONSTRAINT event_summaries_pkey;
ALTER TABLE event_summaries ADD PRIMARY KEY (profile_id, type, name, source);
-- The rows kept so far have neither: a tenant with events rebuilds its summaries (answers come
-- from the raw events meanwhile; the server's worker does it a step at a time).
UPDATE summary_state SET ready = false, rebuilt_upto = 0, generation = generation + 1, started_at = now(), finished_at = NULL
WHERE EXISTS (SELECT 1 FROM events);
