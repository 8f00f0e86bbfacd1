-- One-time email codes (provider emailcode, a first factor): six digits,
-- kept only as a keyed hash bound to the row, alive 10 minutes, 5 tries.
-- auth_identity_id is NULL for an email with no account yet (a customer
-- signs up with it). A new code for the same address retires the older
-- ones (used_at). Housekeeping deletes expired ones.
CREATE TABLE email_code (
    id               text        PRIMARY KEY,
    actor_type       text        NOT NULL CHECK (actor_type IN ('customer', 'user')),
    email            text        NOT NULL,
    auth_identity_id text        REFERENCES auth_identity (id) ON DELETE CASCADE,
    code_hash        text        NOT NULL,
    attempts         integer     NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    used_at          timestamptz
);

--bun:split

CREATE INDEX email_code_address_idx ON email_code (actor_type, email, created_at);

--bun:split

CREATE INDEX email_code_expires_idx ON email_code (expires_at);
