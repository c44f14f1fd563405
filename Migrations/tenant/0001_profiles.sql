-- A tenant's schema, first cut (DESIGN.md, Storage). Runs as the tenant's role with the
-- search path set to the tenant's schema, so every object here is the tenant's own.

CREATE TABLE profiles (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    traits       jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    merged_into  bigint REFERENCES profiles (id)
);

CREATE TABLE identities (
    kind         text NOT NULL,
    value        text NOT NULL,
    profile_id   bigint NOT NULL REFERENCES profiles (id),
    source       text,
    first_seen   timestamptz NOT NULL DEFAULT now(),
    last_seen    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, value)
);
CREATE INDEX identities_profile ON identities (profile_id);

CREATE TABLE events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id   text NOT NULL UNIQUE,
    profile_id   bigint NOT NULL REFERENCES profiles (id),
    type         text NOT NULL,
    name         text,
    ts           timestamptz NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    source       text,
    props        jsonb NOT NULL DEFAULT '{}',
    context      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX events_profile_ts ON events (profile_id, ts);

CREATE TABLE merges (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    survivor_id  bigint NOT NULL,
    merged_id    bigint NOT NULL,
    message_id   text,
    kind         text,
    value        text,
    at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE catalogue (
    kind         text NOT NULL CHECK (kind IN ('trait', 'event', 'property')),
    name         text NOT NULL,
    type         text NOT NULL,
    first_seen   timestamptz NOT NULL DEFAULT now(),
    last_seen    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, name, type)
);

CREATE TABLE definitions (
    kind         text NOT NULL,
    name         text NOT NULL,
    source       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, name)
);

CREATE TABLE suppressions (
    hash         bytea PRIMARY KEY,
    kind         text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
