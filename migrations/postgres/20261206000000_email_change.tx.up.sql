-- Email changes (requestEmailChange): one row per request, holding the
-- hashes of its two tokens. The confirmation token goes to the new
-- address (24 hours); the revert token goes to the old one (72 hours),
-- and undoes the change. A newer request cancels the pending ones
-- (cancelled_at). Housekeeping deletes a row once its revert token has
-- expired.
CREATE TABLE email_change (
    id                   text        PRIMARY KEY,
    auth_identity_id     text        NOT NULL REFERENCES auth_identity (id) ON DELETE CASCADE,
    actor_type           text        NOT NULL CHECK (actor_type IN ('customer', 'user')),
    old_email            text        NOT NULL,
    new_email            text        NOT NULL,
    token_hash           text        NOT NULL UNIQUE,
    revert_token_hash    text        NOT NULL UNIQUE,
    created_at           timestamptz NOT NULL,
    expires_at           timestamptz NOT NULL,
    revert_expires_at    timestamptz NOT NULL,
    confirmed_at         timestamptz,
    reverted_at          timestamptz,
    cancelled_at         timestamptz
);

--bun:split

CREATE INDEX email_change_identity_idx ON email_change (auth_identity_id);

--bun:split

CREATE INDEX email_change_revert_expires_idx ON email_change (revert_expires_at);
