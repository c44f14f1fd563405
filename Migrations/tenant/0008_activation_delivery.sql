-- Activation, measured (scripts/bench-sync): delivery and first runs made cheaper and their plans
-- independent of the statistics of a fresh outbox.
--
-- A batch is the destination's earliest waiting records in id order, each the first of its
-- profile. With an index in that order the take reads ~a batch of rows whatever the planner
-- thinks of the table: a destination new to the statistics (estimated at one row) had it
-- choose a nested loop over all of that destination's rows for each of them, quadratic in the
-- backlog (a 200,000-record first run did not finish delivering in 10 minutes).
DROP INDEX sync_outbox_due;
CREATE INDEX sync_outbox_order ON sync_outbox (destination, id);
-- Rows in a batch (in flight, or waiting to be tried again): few, and read by destination.
CREATE INDEX sync_outbox_batched ON sync_outbox (destination, id) WHERE batch_key IS NOT NULL;

-- The rows of a sync are written by its runs, which hold the sync's row locked, and removed
-- with it by the statement that drops it (Store+Syncs.swift, dropSyncs): the foreign keys'
-- per-row checks were a sixth of a first run.
ALTER TABLE sync_state DROP CONSTRAINT sync_state_sync_id_fkey;
ALTER TABLE sync_outbox DROP CONSTRAINT sync_outbox_sync_id_fkey;
