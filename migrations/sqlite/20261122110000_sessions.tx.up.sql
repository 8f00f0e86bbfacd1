-- Sessions: what a sign-in creates. The refresh-token family (and, later,
-- the cookie) hang from a session; revoking it ends them all. Types as in
-- the foundation migration.
CREATE TABLE auth_session (
    id               TEXT      NOT NULL PRIMARY KEY,
    auth_identity_id TEXT      NOT NULL REFERENCES auth_identity (id) ON DELETE CASCADE,
    actor_type       TEXT      NOT NULL CHECK (actor_type IN ('customer', 'user')),
    created_at       TIMESTAMP NOT NULL,
    last_active_at   TIMESTAMP NOT NULL,
    idle_expires_at  TIMESTAMP NOT NULL,
    expires_at       TIMESTAMP NOT NULL,
    revoked_at       TIMESTAMP,
    revoked_reason   TEXT
);

--bun:split

CREATE INDEX auth_session_auth_identity_id_idx ON auth_session (auth_identity_id) WHERE revoked_at IS NULL;

--bun:split

-- Only a hash of each refresh token is kept. used_at and replaced_by record
-- the rotation; a token is claimed with one conditional UPDATE.
CREATE TABLE refresh_token (
    id          TEXT      NOT NULL PRIMARY KEY,
    session_id  TEXT      NOT NULL REFERENCES auth_session (id) ON DELETE CASCADE,
    token_hash  TEXT      NOT NULL CONSTRAINT refresh_token_hash_key UNIQUE,
    parent_id   TEXT,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP,
    replaced_by TEXT
);

--bun:split

CREATE INDEX refresh_token_session_id_idx ON refresh_token (session_id);

--bun:split

-- Security events (refresh-token reuse…), kept for audit.
CREATE TABLE security_event (
    id               TEXT      NOT NULL PRIMARY KEY,
    type             TEXT      NOT NULL,
    auth_identity_id TEXT,
    session_id       TEXT,
    detail           TEXT      NOT NULL DEFAULT '{}' CHECK (json_valid(detail)),
    created_at       TIMESTAMP NOT NULL
);

--bun:split

CREATE INDEX security_event_auth_identity_id_idx ON security_event (auth_identity_id, created_at);
