-- Ingestion and identity resolution (issue 3).

-- Which source set each trait, and when: {"plan": {"source": "crm", "at": "…"}}.
ALTER TABLE profiles ADD COLUMN trait_sources jsonb NOT NULL DEFAULT '{}';
CREATE INDEX profiles_merged_into ON profiles (merged_into) WHERE merged_into IS NOT NULL;

-- The profile an identifier first joined, and the message that brought it: unmerge
-- restores identifiers by these.
ALTER TABLE identities ADD COLUMN origin_profile_id bigint;
ALTER TABLE identities ADD COLUMN message_id text;

-- Events are keyed by their messageId; the surrogate id and its index are dead weight.
ALTER TABLE events DROP COLUMN id;
ALTER TABLE events DROP CONSTRAINT events_message_id_key;
ALTER TABLE events ADD PRIMARY KEY (message_id);
-- The profile an event was first attributed to (unmerge moves events back by it).
ALTER TABLE events ADD COLUMN origin_profile_id bigint;

-- The merge log: every merge with its cause; an unmerge marks the merge undone.
ALTER TABLE merges ADD COLUMN reason text NOT NULL DEFAULT 'identifier';
ALTER TABLE merges ADD COLUMN undone_at timestamptz;
CREATE INDEX merges_survivor ON merges (survivor_id);
CREATE INDEX merges_merged ON merges (merged_id);

-- Identifiers left out because a merge or attachment would break a kind's limit.
CREATE TABLE identity_conflicts (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id        text NOT NULL,
    kind              text NOT NULL,
    value             text NOT NULL,
    profile_id        bigint NOT NULL,
    other_profile_id  bigint,
    reason            text NOT NULL,
    at                timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX identity_conflicts_profile ON identity_conflicts (profile_id);

-- Identity kinds with priority (1 highest), per-profile limit, blocked values, normalisation.
CREATE TABLE identity_kinds (
    kind              text PRIMARY KEY CHECK (kind ~ '^[a-z][a-z0-9_]{0,39}$'),
    priority          integer NOT NULL CHECK (priority > 0),
    max_per_profile   integer NOT NULL CHECK (max_per_profile > 0),
    blocked           text[] NOT NULL DEFAULT '{}',
    normalization     text NOT NULL CHECK (normalization IN ('email', 'phone', 'trim', 'none'))
);

-- Tenant settings such as trait source precedence: {"source_precedence": ["crm", "web"]}.
CREATE TABLE settings (
    key    text PRIMARY KEY,
    value  jsonb NOT NULL
);

CREATE TABLE groups (
    group_id    text PRIMARY KEY,
    traits      jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE group_members (
    group_id    text NOT NULL REFERENCES groups (group_id) ON DELETE CASCADE,
    profile_id  bigint NOT NULL,
    first_seen  timestamptz NOT NULL DEFAULT now(),
    last_seen   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, profile_id)
);
CREATE INDEX group_members_profile ON group_members (profile_id);

-- Pairs of profiles an operator split apart: identity resolution does not merge them again.
CREATE TABLE merge_blocks (
    profile_a   bigint NOT NULL,
    profile_b   bigint NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (profile_a, profile_b),
    CHECK (profile_a < profile_b)
);
