-- The web console's live view of arriving events (issue 19) reads the newest by
-- received_at. Events arrive in received_at order, so a BRIN index finds the last minutes'
-- pages without a per-row index entry on the ingestion path.
CREATE INDEX IF NOT EXISTS events_received_brin ON events USING brin (received_at) WITH (pages_per_range = 32);
