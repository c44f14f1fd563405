-- Activation, measured (scripts/bench-sync): a first run of 200,000 members wrote each member
-- twice, once as its row of S and once as an `entered` record in the outbox (with a probe of
-- its identities for the payload), and cost 3.3 times the bare difference. Now a run's entries
-- are kept as their rows of S, marked with the run (entry_run), and a take moves them into
-- the outbox as it needs them (Grammar/README.md, "Syncs", "A run", step 6). A sync has at most
-- one run whose entries are kept: the next run first moves the rest of them to the outbox.
--   pending_run   the run whose entries are kept (NULL: none);
--   pending_at    that run's T, as its records carry it;
--   pending_from  the least profile id of those not yet moved (they are moved in id order);
--   pending_send  that run's send mode (the sync may be saved again with another meanwhile).
-- A row of S is a kept entry when entry_run = pending_run AND profile_id >= pending_from.
ALTER TABLE sync_state ADD COLUMN entry_run bigint;
ALTER TABLE syncs ADD COLUMN pending_run bigint, ADD COLUMN pending_at text, ADD COLUMN pending_from bigint,
    ADD COLUMN pending_send text;

-- S is read by profile only sync by sync, through its key (an erasure, the console's
-- membership): the index on the profile alone cost a first run a tenth of its time.
DROP INDEX sync_state_profile;
