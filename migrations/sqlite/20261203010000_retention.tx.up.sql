-- Retention: the housekeeping loop deletes what expired, in small batches
-- (internal/store/prune.go). One instance runs a pass at a time, holding
-- the lease row: a plain conditional upsert, the same statement as on
-- PostgreSQL (where it works behind pgbouncer in transaction mode, as a
-- session advisory lock would not). expires_at
-- ends the running pass's hold (a dead instance's lease lapses); next_at
-- is when the loop's next pass is due.
CREATE TABLE housekeeping_lease (
    name       text        PRIMARY KEY,
    holder     text        NOT NULL,
    expires_at TIMESTAMP   NOT NULL,
    next_at    TIMESTAMP   NOT NULL
);

--bun:split

-- Each index below serves one pruner's condition, so that a batch reads
-- only the rows it deletes.
CREATE INDEX refresh_token_expires_at_idx ON refresh_token (expires_at);

--bun:split

CREATE INDEX auth_session_idle_expires_at_idx ON auth_session (idle_expires_at);

--bun:split

CREATE INDEX auth_session_revoked_at_idx ON auth_session (revoked_at) WHERE revoked_at IS NOT NULL;

--bun:split

-- Every session of an identity, revoked or not: an anonymous shopper's
-- last activity, and the cascade when an identity is deleted (the older
-- index holds only the live sessions).
CREATE INDEX auth_session_identity_active_idx ON auth_session (auth_identity_id, last_active_at);

--bun:split

CREATE INDEX action_token_expires_at_idx ON action_token (expires_at);

--bun:split

CREATE INDEX action_token_used_at_idx ON action_token (used_at) WHERE used_at IS NOT NULL;

--bun:split

CREATE INDEX event_delivery_settled_idx ON event_delivery (updated_at) WHERE state <> 'pending';

--bun:split

CREATE INDEX auth_event_created_at_idx ON auth_event (created_at);

--bun:split

CREATE INDEX auth_event_sealed_idx ON auth_event (created_at) WHERE sealed IS NOT NULL;

--bun:split

CREATE INDEX auth_identity_anonymous_idx ON auth_identity (created_at) WHERE json_extract(app_metadata, '$.anonymous') = 1;
