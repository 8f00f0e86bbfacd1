-- The auth event log, which is also the outbox: an event is written in the
-- transaction of the change that caused it. Secret payload fields (reset,
-- verification and invite tokens) are sealed under the key-encryption key
-- in `sealed`, and erased once every subscriber has the event.
CREATE TABLE auth_event (
    id               text        PRIMARY KEY,
    name             text        NOT NULL,
    auth_identity_id text,
    actor_type       text,
    payload          jsonb       NOT NULL DEFAULT '{}',
    sealed           text,
    created_at       timestamptz NOT NULL
);

--bun:split

CREATE INDEX auth_event_identity_idx ON auth_event (auth_identity_id, id);

--bun:split

-- One row per event and subscriber: what the dispatcher still owes.
CREATE TABLE event_delivery (
    event_id        text        NOT NULL REFERENCES auth_event (id) ON DELETE CASCADE,
    subscriber      text        NOT NULL,
    state           text        NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    locked_until    timestamptz,
    last_error      text,
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (event_id, subscriber)
);

--bun:split

CREATE INDEX event_delivery_due_idx ON event_delivery (subscriber, state, next_attempt_at);

--bun:split

-- Single-use tokens sent by email (password reset, email verification):
-- only their hash is kept.
CREATE TABLE action_token (
    id                   text        PRIMARY KEY,
    purpose              text        NOT NULL CHECK (purpose IN ('password_reset', 'email_verification')),
    auth_identity_id     text        NOT NULL,
    provider_identity_id text        NOT NULL,
    actor_type           text        NOT NULL,
    email                text        NOT NULL,
    token_hash           text        NOT NULL UNIQUE,
    created_at           timestamptz NOT NULL,
    expires_at           timestamptz NOT NULL,
    used_at              timestamptz
);

--bun:split

CREATE INDEX action_token_identity_idx ON action_token (provider_identity_id, purpose);

--bun:split

-- Lockout after consecutive failed password attempts.
ALTER TABLE auth_identity ADD COLUMN failed_attempts integer NOT NULL DEFAULT 0;

--bun:split

ALTER TABLE auth_identity ADD COLUMN lock_count integer NOT NULL DEFAULT 0;

--bun:split

ALTER TABLE auth_identity ADD COLUMN locked_until timestamptz;
