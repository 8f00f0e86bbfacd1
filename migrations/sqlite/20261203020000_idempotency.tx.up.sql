-- The first answer to each mutation sent with an Idempotency-Key, kept
-- for a day so that a retry is answered the same instead of running
-- again, on every instance. id is a keyed hash of the caller's credential
-- and the key; fingerprint a keyed hash of the operation and its
-- variables (never stored themselves: they hold passwords); body the
-- answer, sealed. An in_progress row whose owner died is taken over once
-- locked_until has passed.
CREATE TABLE idempotency_record (
    id           text PRIMARY KEY,
    fingerprint  text NOT NULL,
    state        text NOT NULL CHECK (state IN ('in_progress', 'done')),
    owner        text NOT NULL,
    status       integer,
    body         text,
    locked_until TIMESTAMP NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL
);

--bun:split

-- The housekeeping loop deletes expired records by this index
-- (PruneIdempotency).
CREATE INDEX idempotency_record_expires_at_idx ON idempotency_record (expires_at);
