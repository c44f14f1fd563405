-- Privacy (issue 7): which request suppressed an identifier, and what it has dropped since.
ALTER TABLE suppressions ADD COLUMN request_id text;
ALTER TABLE suppressions ADD COLUMN dropped bigint NOT NULL DEFAULT 0;
ALTER TABLE suppressions ADD COLUMN last_dropped_at timestamptz;
CREATE INDEX suppressions_request ON suppressions (request_id);
