-- Account deletion with a grace period (GATEHOUSE_DELETION_GRACE): one
-- row per scheduled deletion, carried out by housekeeping once due_at
-- passes (done_at), or cancelled by the customer signing in
-- (cancelled_at). No foreign key: the row outlives the identity it
-- deleted, until housekeeping deletes it after the session grace.
CREATE TABLE account_deletion (
    id               TEXT        NOT NULL PRIMARY KEY,
    auth_identity_id TEXT        NOT NULL,
    actor_type       TEXT        NOT NULL CHECK (actor_type IN ('customer', 'user')),
    actor_id         TEXT        NOT NULL,
    requested_by     TEXT        NOT NULL,
    requested_at     TIMESTAMP   NOT NULL,
    due_at           TIMESTAMP   NOT NULL,
    cancelled_at     TIMESTAMP,
    done_at          TIMESTAMP
);

--bun:split

CREATE INDEX account_deletion_pending_idx ON account_deletion (due_at)
    WHERE cancelled_at IS NULL AND done_at IS NULL;

--bun:split

CREATE INDEX account_deletion_identity_idx ON account_deletion (auth_identity_id);

--bun:split

-- The identity an idempotency record's request acted for, so that
-- deleting the account deletes the answers kept for it.
ALTER TABLE idempotency_record ADD COLUMN auth_identity_id TEXT;

--bun:split

CREATE INDEX idempotency_record_identity_idx ON idempotency_record (auth_identity_id)
    WHERE auth_identity_id IS NOT NULL;
