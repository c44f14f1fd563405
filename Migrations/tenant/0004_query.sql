-- The query language (issue 4).

-- The definitions a saved segment or metric uses, so that dropping one in use is refused.
ALTER TABLE definitions ADD COLUMN uses text[] NOT NULL DEFAULT '{}';

-- Event aggregates read the events of a name within a window: `count(purchase within 30 days)`
-- scans only those (the events pass's pre-filter is `type = 'track' AND name = … AND ts >= …`).
CREATE INDEX events_name_ts ON events (name, ts);

-- Events arrive roughly in time order, so a BRIN index on `ts` (a few hundred kB for ten
-- million events) lets an events question over a recent window skip the older pages.
CREATE INDEX events_ts_brin ON events USING brin (ts) WITH (pages_per_range = 32);
