-- Orders by day (issue 18): for each live profile and each UTC day on which it ordered (a
-- revenue event of the value settings whose value is above 0, as `event_summaries.orders`
-- counts them), how many orders and the time of the first. Retention's cohorts and activity
-- (`show retention by month|week`) read these instead of every revenue event's JSON: a week or a
-- month is a whole number of UTC days.
--
-- Kept with the summaries, in the same transaction: ingestion adds each batch's orders, a merge
-- combines the loser's days into the survivor's, and an unmerge, an erasure and each step of a
-- rebuild recompute the profiles they touch from their events.
CREATE TABLE order_days (
    profile_id bigint NOT NULL,
    day        date NOT NULL,
    orders     bigint NOT NULL,
    first_ts   timestamptz NOT NULL,
    PRIMARY KEY (profile_id, day)
);

-- A tenant with events rebuilds its summaries once to fill them (answers come from the raw
-- events meanwhile; the server's summary worker does it a step at a time, resumable, with its
-- progress in `rapport tenants list` and `GET /v1/summaries`).
UPDATE summary_state SET ready = false, rebuilt_upto = 0, generation = generation + 1, started_at = now(), finished_at = NULL
WHERE EXISTS (SELECT 1 FROM events);
