-- Activation (issue 17): destinations, syncs, what each sync last delivered, and the outbox
-- its runs fill and delivery empties. Grammar/README.md ("Syncs") says what a run writes.

-- A place to send to. The secret signs webhook bodies, or is the Segment write key; it is
-- shown once, when the destination is added, and never returned again.
CREATE TABLE destinations (
    name         text PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('webhook', 'segment')),
    url          text NOT NULL,
    secret       text NOT NULL,
    -- batch_size, concurrency, rate (records/s), retry_window (s), timeout (s).
    settings     jsonb NOT NULL DEFAULT '{}',
    paused       boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- A sync. Its id is its identity in message ids: a sync dropped and saved again is a new one.
CREATE TABLE syncs (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name         text NOT NULL UNIQUE,
    destination  text NOT NULL REFERENCES destinations (name),
    query        text NOT NULL,
    fields       text[] NOT NULL DEFAULT '{}',
    every        integer,
    backfill     boolean NOT NULL DEFAULT true,
    send         text NOT NULL,
    uses         text[] NOT NULL DEFAULT '{}',
    runs         bigint NOT NULL DEFAULT 0,
    next_run_at  timestamptz,
    last_run_at  timestamptz,
    last_run_ms  bigint,
    last_counts  jsonb NOT NULL DEFAULT '{}',
    last_error   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- S: per profile this sync delivered as a member and has not since exited, its fields at
-- the last run it was in the audience.
CREATE TABLE sync_state (
    sync_id      uuid NOT NULL REFERENCES syncs (id) ON DELETE CASCADE,
    profile_id   bigint NOT NULL,
    fields       jsonb NOT NULL,
    PRIMARY KEY (sync_id, profile_id)
);
CREATE INDEX sync_state_profile ON sync_state (profile_id);

-- Records to deliver. A batch is a set of rows with one batch key (the Idempotency-Key): a
-- retry sends the same rows under the same key. A row is sent only when no earlier row of
-- the same profile and destination is still here, so a profile's records arrive in order.
CREATE TABLE sync_outbox (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    destination  text NOT NULL,
    sync_id      uuid NOT NULL REFERENCES syncs (id) ON DELETE CASCADE,
    sync_name    text NOT NULL,
    run          bigint NOT NULL,
    profile_id   bigint NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('entered', 'changed', 'exited')),
    message_id   uuid NOT NULL,
    payload      jsonb NOT NULL,
    queued_at    timestamptz NOT NULL DEFAULT now(),
    -- Set by the erasure that queued this exit: verification leaves it be until delivered.
    erasure      text,
    batch_key    uuid,
    attempts     integer NOT NULL DEFAULT 0,
    first_attempt_at timestamptz,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    leased_until timestamptz,
    last_status  integer,
    last_error   text
);
CREATE INDEX sync_outbox_due ON sync_outbox (destination, next_attempt_at, id);
CREATE INDEX sync_outbox_profile ON sync_outbox (destination, profile_id, id);
CREATE INDEX sync_outbox_batch ON sync_outbox (batch_key) WHERE batch_key IS NOT NULL;

-- What was delivered, a row per request: counts and statuses, no personal data.
CREATE TABLE sync_deliveries (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    destination  text NOT NULL,
    batch_key    uuid NOT NULL,
    records      integer NOT NULL,
    delivered    integer NOT NULL,
    status       integer,
    ms           integer NOT NULL,
    error        text,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sync_deliveries_destination ON sync_deliveries (destination, at);

-- Records that could not be delivered within the destination's retry window, or that the
-- receiver refused; an admin lists them and replays them (back into the outbox).
CREATE TABLE sync_dead_letters (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    destination  text NOT NULL,
    sync_id      uuid,
    sync_name    text NOT NULL,
    run          bigint NOT NULL,
    profile_id   bigint NOT NULL,
    kind         text NOT NULL,
    message_id   uuid NOT NULL,
    payload      jsonb NOT NULL,
    queued_at    timestamptz NOT NULL,
    attempts     integer NOT NULL,
    last_status  integer,
    last_error   text,
    dead_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sync_dead_letters_destination ON sync_dead_letters (destination, id);
CREATE INDEX sync_dead_letters_profile ON sync_dead_letters (profile_id);

-- Profiles a suppression reached, so that a sync leaves them out of its audience (the
-- suppressions themselves are keyed hashes, which SQL cannot compare with a profile).
CREATE TABLE suppressed_profiles (
    profile_id   bigint NOT NULL,
    request_id   text NOT NULL,
    PRIMARY KEY (profile_id, request_id)
);
CREATE INDEX suppressed_profiles_request ON suppressed_profiles (request_id);
