-- Sessions: what a sign-in creates. The refresh-token family (and, later,
-- the cookie) hang from a session; revoking it ends them all.
CREATE TABLE auth_session (
    id               text        PRIMARY KEY,
    auth_identity_id text        NOT NULL REFERENCES auth_identity (id) ON DELETE CASCADE,
    actor_type       text        NOT NULL CHECK (actor_type IN ('customer', 'user')),
    created_at       timestamptz NOT NULL,
    last_active_at   timestamptz NOT NULL,
    idle_expires_at  timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    revoked_at       timestamptz,
    revoked_reason   text
);

--bun:split

CREATE INDEX auth_session_auth_identity_id_idx ON auth_session (auth_identity_id) WHERE revoked_at IS NULL;

--bun:split

-- Only a hash of each refresh token is kept. used_at and replaced_by record
-- the rotation; a token is claimed with one conditional UPDATE.
CREATE TABLE refresh_token (
    id          text        PRIMARY KEY,
    session_id  text        NOT NULL REFERENCES auth_session (id) ON DELETE CASCADE,
    token_hash  text        NOT NULL CONSTRAINT refresh_token_hash_key UNIQUE,
    parent_id   text,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    replaced_by text
);

--bun:split

CREATE INDEX refresh_token_session_id_idx ON refresh_token (session_id);

--bun:split

-- Security events (refresh-token reuse…), kept for audit.
CREATE TABLE security_event (
    id               text        PRIMARY KEY,
    type             text        NOT NULL,
    auth_identity_id text,
    session_id       text,
    detail           jsonb       NOT NULL DEFAULT '{}',
    created_at       timestamptz NOT NULL
);

--bun:split

CREATE INDEX security_event_auth_identity_id_idx ON security_event (auth_identity_id, created_at);
