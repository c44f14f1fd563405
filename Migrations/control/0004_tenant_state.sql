-- A tenant is made and removed in more than one transaction, because on Citus a worker
-- sees a new role and schema only once they are committed (issue 15). The state says how
-- far it got, so that running the same command again finishes the work; only a `ready`
-- tenant has keys, takes data or answers queries.
ALTER TABLE rapport.tenants ADD COLUMN state text NOT NULL DEFAULT 'ready'
    CHECK (state IN ('creating', 'ready', 'deleting'));
