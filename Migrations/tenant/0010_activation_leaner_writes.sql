-- Activation, measured (scripts/bench-sync): a first run of 200,000 members spent as long
-- keeping the outbox's indexes as writing its rows (each cost about 0.4 s), and printing the
-- jsonb payloads was half of what reading a batch cost. So:
-- * the outbox keeps the two indexes it reads by: (destination, id), the order of delivery,
--   through which every read of a batch's records goes (they always know their destination),
--   unique and the table's replica identity (a tenant moved between Citus workers is copied by
--   logical replication, which needs one), in place of the primary key on id alone; and
--   (profile_id), for an erasure's removal of a person's records (it was
--   (destination, profile_id, id), from a pick that no longer reads it);
-- * a record's payload is kept as the JSON text that is sent (json), and a dead letter's the
--   same way (a replay copies it back).
-- The indexes go before the type change, so that its rewrite of the table builds none of them.
DROP INDEX sync_outbox_profile;
DROP INDEX sync_outbox_order;
ALTER TABLE sync_outbox DROP CONSTRAINT sync_outbox_pkey, ALTER COLUMN payload TYPE json USING payload::json;
CREATE UNIQUE INDEX sync_outbox_order ON sync_outbox (destination, id);
ALTER TABLE sync_outbox REPLICA IDENTITY USING INDEX sync_outbox_order;
CREATE INDEX sync_outbox_profile ON sync_outbox (profile_id);
ALTER TABLE sync_dead_letters ALTER COLUMN payload TYPE json USING payload::json;
