-- Per-profile summaries of the events (issue 18): for each live profile and each track event
-- name (and each other event type), how many events, the first and last `ts`, and, for the
-- value settings' revenue and cost events, the value flows typed at ingestion. Ingestion keeps
-- them in the same transaction as the events; merges combine them, unmerges and erasures
-- recompute or delete them, and a change of the value settings rebuilds them in the
-- background (`summary_state`). Queries read them only while they are ready.
-- `name` is '' for events other than track events (a page's name is not summarised: no
-- aggregate selects page events by name without a filter).
CREATE TABLE event_summaries (
    profile_id   bigint NOT NULL,
    type         text NOT NULL,
    name         text NOT NULL,
    events       bigint NOT NULL,
    first_ts     timestamptz NOT NULL,
    last_ts      timestamptz NOT NULL,
    -- The sum of the revenue values of these events (null when none has one), how many had
    -- a value above 0 (orders), and the first and last of those.
    revenue      numeric,
    orders       bigint NOT NULL DEFAULT 0,
    first_order  timestamptz,
    last_order   timestamptz,
    cost         numeric,
    PRIMARY KEY (profile_id, type, name)
);

-- One row. `flows` are the revenue and cost flows the summaries hold (null: not yet known);
-- `ready` says whether every profile's summaries are exact; while not, a rebuild goes through
-- the profiles in id order, and `rebuilt_upto` is the last profile id it has done.
-- `generation` counts the rebuilds begun: a query that read the summaries checks, in its
-- transaction, that none began while it ran.
CREATE TABLE summary_state (
    singleton    boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    flows        jsonb,
    ready        boolean NOT NULL,
    generation   bigint NOT NULL DEFAULT 0,
    rebuilt_upto bigint NOT NULL DEFAULT 0,
    started_at   timestamptz,
    finished_at  timestamptz
);

-- A tenant without events and with the default value settings is ready at once; any other
-- is rebuilt (backfilled) by the server's summary worker.
-- (Whether it is ready is worked out first, MATERIALIZED: Citus 13.2 sends the INSERT with the
-- subquery inline to the worker malformed, `( IS NOT NULL)`.)
WITH r AS MATERIALIZED (
    SELECT NOT EXISTS (SELECT 1 FROM events)
           AND NOT EXISTS (SELECT 1 FROM definitions WHERE kind = 'setting' AND name IN ('value.revenue', 'value.cost')) AS ready)
INSERT INTO summary_state (flows, ready, finished_at)
SELECT CASE WHEN ready THEN '{"revenue": [["Order Completed", "revenue"], ["purchase", "amount"]], "cost": []}'::jsonb END, ready,
       CASE WHEN ready THEN now() END
FROM r;
