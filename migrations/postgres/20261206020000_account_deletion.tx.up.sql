-- Account deletion with a grace period (GATEHOUSE_DELETION_GRACE): one
-- row per scheduled deletion, carried out by housekeeping once due_at
-- passes (done_at), or cancelled by the customer signing in
-- (cancelled_at). No foreign key: the row outlives the identity it
-- deleted, until housekeeping deletes it after the session grace.
CREATE TABLE account_deletion (
    id               text        PRIMARY KEY,
    auth_identity_id text        NOT NULL,
    actor_type       text        NOT NULL CHECK (actor_type IN ('customer', 'user')),
    actor_id         text        NOT NULL,
    requested_by     text        NOT NULL,
    requested_at     timestamptz NOT NULL,
    due_at           timestamptz NOT NULL,
    cancelled_at     timestamptz,
    done_at          timestamptz
);

--bun:split

CREATE INDEX account_deletion_pending_idx ON account_deletion (due_at)
    WHERE cancelled_at IS NULL AND done_at IS NULL;

--bun:split

CREATE INDEX account_deletion_identity_idx ON account_deletion (auth_identity_id);

--bun:split

-- The identity an idempotency record's request acted for, so that
-- deleting the account deletes the answers kept for it.
ALTER TABLE idempotency_record ADD COLUMN auth_identity_id text;

--bun:split

CREATE INDEX idempotency_record_identity_idx ON idempotency_record (auth_identity_id)
    WHERE auth_identity_id IS NOT NULL;
