-- The query language (issue 4).

-- The definitions a saved segment or metric uses, so that dropping one in use is refused.
ALTER TABLE definitions ADD COLUMN uses text[] NOT NULL DEFAULT '{}';

-- Event aggregates read the events of a name within a window: `count(purchase within 30 days)`
-- scans only those (the events pass's pre-filter is `type = 'track' AND name = … AND ts >= …`).
CREATE INDEX events_name_ts ON events (name, ts);
