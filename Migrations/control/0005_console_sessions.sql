-- The web console's sessions (issue 19). A browser holds a random token in an HttpOnly,
-- SameSite=Strict cookie; only its SHA-256 is kept here, with the key that signed in (whose
-- scopes and revocation still decide every request) and the session's CSRF token. A session
-- ends at sign-out, at its expiry, or with its key (revoked: refused; deleted: cascaded).
CREATE TABLE rapport.console_sessions (
    hash        bytea PRIMARY KEY,
    key_id      text NOT NULL REFERENCES rapport.api_keys (id) ON DELETE CASCADE,
    csrf        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX console_sessions_expires ON rapport.console_sessions (expires_at);
-- A key's sessions: capped at sign-in, and removed with the key.
CREATE INDEX console_sessions_key ON rapport.console_sessions (key_id);
