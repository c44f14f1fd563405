-- One summary row per profile (issue 18): the sums of its rows in `event_summaries`, over every
-- event name and source. The value reports and the value fields (revenue, cost, orders, first
-- and last order: tiers, pareto, rfm, the lifecycle, the value chain) and `did any` read this one
-- narrow row per profile instead of grouping the summaries of the value flows' events by
-- profile. `first_source` is the source ('' for none) of the profile's first event in event
-- order (ts, then message id in byte order), its acquiring source; `sources` how many distinct
-- sources its events have; `value` is its clv when the value settings discount nothing.
--
-- It is kept wherever `event_summaries` is, in the same transaction: ingestion adds each batch
-- to it, and a merge, an unmerge, an erasure and each step of a rebuild recompute the profiles
-- they touch from their `event_summaries`. So a row exists exactly for each profile with
-- events, and only for live profiles (a merged profile's events, and so its summaries, are
-- moved to the profile it is merged into).
CREATE TABLE profile_summaries (
    profile_id    bigint PRIMARY KEY,
    events        bigint NOT NULL,
    first_ts      timestamptz NOT NULL,
    last_ts       timestamptz NOT NULL,
    first_message text NOT NULL,
    first_source  text NOT NULL,
    revenue       numeric,
    orders        bigint NOT NULL,
    first_order   timestamptz,
    last_order    timestamptz,
    cost          numeric,
    sources       bigint NOT NULL,
    -- clv without discount (revenue less cost), null without a revenue or cost value.
    value         numeric GENERATED ALWAYS AS (CASE WHEN revenue IS NULL AND cost IS NULL THEN NULL
                                                    ELSE coalesce(revenue, 0) - coalesce(cost, 0) END) STORED
);

-- The ranking by clv (tiers, pareto, the value chain's portfolio) in index order, without a sort:
-- only profiles whose clv is not 0 are ranked one by one (the zeros are one block).
CREATE INDEX profile_summaries_by_value ON profile_summaries (value DESC, profile_id) WHERE value <> 0;

-- From the summaries as they are: exact for a tenant whose summaries are ready; for one being
-- rebuilt, each step of the rebuild recomputes its profiles' rows as it recomputes their
-- summaries (and queries read neither until it is done).
INSERT INTO profile_summaries (profile_id, events, first_ts, last_ts, first_message, first_source, revenue, orders, first_order, last_order, cost, sources)
SELECT s.profile_id, sum(s.events), min(s.first_ts), max(s.last_ts),
       (array_agg(s.first_message ORDER BY s.first_ts, s.first_message COLLATE "C"))[1],
       (array_agg(s.source ORDER BY s.first_ts, s.first_message COLLATE "C"))[1],
       sum(s.revenue), sum(s.orders), min(s.first_order), max(s.last_order), sum(s.cost),
       count(DISTINCT s.source) FILTER (WHERE s.source <> '')
FROM event_summaries s
GROUP BY s.profile_id;
