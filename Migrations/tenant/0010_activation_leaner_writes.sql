-- Activation, measured (scripts/bench-sync): a first run of 200,000 members spent as long
-- keeping the outbox's indexes as writing its rows. Each index costs a run about a sixth of
-- its time, so the outbox keeps the two it reads by:
-- * (destination, id), the order of delivery, which every read of a batch's records goes
--   through (they always know their destination), so the primary key on id alone goes;
-- * (profile_id), for an erasure's removal of a person's records (it was
--   (destination, profile_id, id), from a pick that no longer reads it).
ALTER TABLE sync_outbox DROP CONSTRAINT sync_outbox_pkey;
DROP INDEX sync_outbox_profile;
CREATE INDEX sync_outbox_profile ON sync_outbox (profile_id);

-- A record's payload is kept as the JSON text that is sent: printing a jsonb payload was half
-- of what reading a batch cost. A dead letter keeps it the same way (a replay copies it back).
ALTER TABLE sync_outbox ALTER COLUMN payload TYPE json USING payload::json;
ALTER TABLE sync_dead_letters ALTER COLUMN payload TYPE json USING payload::json;
