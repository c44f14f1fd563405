-- Privacy requests (issue 7): GDPR erasure, export, suppression, and their audit.

-- The per-tenant secret of the keyed hashes (HMAC-SHA256) that stand for identifiers in
-- suppressions, requests that have ended, and the audit log. Set by Rapport on first use.
ALTER TABLE rapport.tenants ADD COLUMN privacy_key bytea;

-- A request's subject is kept in clear only while the request is pending or running (a
-- restarted server must be able to resume it); when it ends only its keyed hash remains.
CREATE TABLE rapport.privacy_requests (
    id              text PRIMARY KEY,
    tenant_id       bigint NOT NULL REFERENCES rapport.tenants (id) ON DELETE CASCADE,
    type            text NOT NULL CHECK (type IN ('erasure', 'export', 'suppress', 'unsuppress')),
    status          text NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
    subject_kind    text NOT NULL,
    subject_value   text,
    subject_hash    bytea NOT NULL,
    -- Hashes of every identifier the request reached through the identity graph.
    reached_hashes  bytea[] NOT NULL DEFAULT '{}',
    actor           text NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    due_at          timestamptz NOT NULL,
    started_at      timestamptz,
    completed_at    timestamptz,
    attempts        integer NOT NULL DEFAULT 0,
    counts          jsonb NOT NULL DEFAULT '{}',
    error           text,
    CHECK ((status IN ('pending', 'running')) = (subject_value IS NOT NULL))
);
CREATE INDEX privacy_requests_tenant ON rapport.privacy_requests (tenant_id, received_at);
CREATE INDEX privacy_requests_open ON rapport.privacy_requests (status) WHERE status IN ('pending', 'running');

-- Only legal transitions: pending -> running | cancelled, running -> running (resumed after a
-- crash) | completed | failed. Nothing leaves completed, failed or cancelled.
CREATE FUNCTION rapport.privacy_request_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status <> OLD.status OR NEW.status = 'running' THEN
        IF NOT ((OLD.status = 'pending' AND NEW.status IN ('running', 'cancelled'))
                OR (OLD.status = 'running' AND NEW.status IN ('running', 'completed', 'failed'))) THEN
            RAISE EXCEPTION 'a privacy request cannot go from % to %', OLD.status, NEW.status
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    IF NEW.id <> OLD.id OR NEW.type <> OLD.type OR NEW.tenant_id <> OLD.tenant_id OR NEW.received_at <> OLD.received_at THEN
        RAISE EXCEPTION 'a privacy request''s id, type, tenant and receipt are fixed' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER privacy_request_transition BEFORE UPDATE ON rapport.privacy_requests
    FOR EACH ROW EXECUTE FUNCTION rapport.privacy_request_transition();

-- A finished export, in order, a chunk a row: written as it is produced and read back the
-- same way, so neither end holds a large history in memory. Erasing the subject deletes it.
CREATE TABLE rapport.privacy_exports (
    request_id  text NOT NULL REFERENCES rapport.privacy_requests (id) ON DELETE CASCADE,
    seq         integer NOT NULL,
    data        bytea NOT NULL,
    PRIMARY KEY (request_id, seq)
);
