-- The control schema: tenants, their API keys and the audit log.
-- The ledger rapport.migrations is created by Rapport itself before this file runs.

CREATE TABLE rapport.tenants (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z][a-z0-9_]{0,39}$'),
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Only a SHA-256 of each key is stored; `id` is the key's public part.
CREATE TABLE rapport.api_keys (
    id          text PRIMARY KEY,
    tenant_id   bigint NOT NULL REFERENCES rapport.tenants (id) ON DELETE CASCADE,
    hash        bytea NOT NULL UNIQUE,
    scopes      text[] NOT NULL CHECK (scopes <@ ARRAY['ingest', 'query', 'privacy', 'admin'] AND cardinality(scopes) > 0),
    source      text,
    name        text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
CREATE INDEX api_keys_tenant ON rapport.api_keys (tenant_id);

-- Append-only record of administrative and privacy actions. Holds no personal data:
-- identifiers appear only as keyed hashes.
CREATE TABLE rapport.audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    tenant      text,
    actor       text NOT NULL,
    action      text NOT NULL,
    details     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_tenant_at ON rapport.audit_log (tenant, at);
