-- Activation, measured (scripts/bench-sync): a batch is a row of its own, not a mark on each of
-- its records. Marking 500 records with their batch's key rewrote 500 wide rows (payload and
-- all, in every index) for each request, then deleted them: a take cost more than the request.
-- Now a record is written once (by its run) and deleted once (when delivered); a batch is its
-- key and its records' ids, and what its attempts came to.
CREATE TABLE sync_batches (
    key          uuid PRIMARY KEY,
    destination  text NOT NULL,
    -- The records (sync_outbox ids) in id order; those since deleted (an erasure, a dropped
    -- sync) are left out when it is sent again.
    ids          bigint[] NOT NULL,
    -- Their profiles, in the same order: while the batch lasts, no other record of these
    -- profiles is taken, not even one queued after a record of the batch was deleted (an
    -- erasure's exit must not overtake the entry in flight).
    profiles     bigint[] NOT NULL,
    attempts     integer NOT NULL DEFAULT 1,
    first_attempt_at timestamptz NOT NULL DEFAULT now(),
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    leased_until timestamptz,
    last_status  integer,
    last_error   text
);
CREATE INDEX sync_batches_destination ON sync_batches (destination, next_attempt_at);

-- The batches are gathered first (MATERIALIZED): Citus 13.2 sends the plain INSERT ... SELECT ...
-- GROUP BY to the worker malformed (`( IS NOT NULL)`), which made every new tenant fail here.
WITH batches AS MATERIALIZED (
    SELECT batch_key, min(destination) AS destination, array_agg(id ORDER BY id) AS ids,
           array_agg(profile_id ORDER BY id) AS profiles, max(attempts) AS attempts,
           coalesce(min(first_attempt_at), now()) AS first_attempt_at,
           max(next_attempt_at) AS next_attempt_at, max(leased_until) AS leased_until, max(last_status) AS last_status,
           max(last_error) AS last_error
    FROM sync_outbox WHERE batch_key IS NOT NULL GROUP BY batch_key)
INSERT INTO sync_batches (key, destination, ids, profiles, attempts, first_attempt_at, next_attempt_at, leased_until, last_status,
                          last_error)
SELECT batch_key, destination, ids, profiles, attempts, first_attempt_at, next_attempt_at, leased_until, last_status, last_error
FROM batches;

DROP INDEX sync_outbox_batch;
DROP INDEX sync_outbox_batched;
ALTER TABLE sync_outbox DROP COLUMN batch_key, DROP COLUMN attempts, DROP COLUMN first_attempt_at, DROP COLUMN next_attempt_at,
    DROP COLUMN leased_until, DROP COLUMN last_status, DROP COLUMN last_error;
