-- Second factors (issue 15). An identity's factors: TOTP apps, whose
-- secret is kept only sealed under a key derived from the key-encryption
-- key (bound to the factor's id), and, later, passkeys. A factor is not
-- active until confirmed_at is set; unconfirmed ones are deleted by the
-- housekeeping after an hour. last_step is the TOTP time step of the last
-- code accepted: a code is good once.
CREATE TABLE auth_factor (
    id               text        PRIMARY KEY,
    auth_identity_id text        NOT NULL REFERENCES auth_identity (id) ON DELETE CASCADE,
    kind             text        NOT NULL CHECK (kind IN ('totp', 'passkey')),
    name             text        NOT NULL,
    secret_sealed    text,
    last_step        bigint      NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL,
    confirmed_at     timestamptz,
    last_used_at     timestamptz
);

--bun:split

CREATE INDEX auth_factor_identity_idx ON auth_factor (auth_identity_id);

--bun:split

CREATE INDEX auth_factor_unconfirmed_idx ON auth_factor (created_at) WHERE confirmed_at IS NULL;

--bun:split

-- Recovery codes: ten per identity, shown once, kept only hashed, each
-- good once (used_at).
CREATE TABLE recovery_code (
    id               text        PRIMARY KEY,
    auth_identity_id text        NOT NULL REFERENCES auth_identity (id) ON DELETE CASCADE,
    code_hash        text        NOT NULL UNIQUE,
    created_at       timestamptz NOT NULL,
    used_at          timestamptz
);

--bun:split

CREATE INDEX recovery_code_identity_idx ON recovery_code (auth_identity_id);

--bun:split

-- A sign-in whose first factor passed, waiting for the second: only the
-- challenge token's hash is kept. session_id is the session it starts
-- (bound to it from the first factor); method and amr are the first
-- factor's. failures counts wrong answers: at 5 the challenge is dead.
-- Single-use (used_at); housekeeping deletes expired ones.
CREATE TABLE mfa_challenge (
    id                   text        PRIMARY KEY,
    token_hash           text        NOT NULL UNIQUE,
    auth_identity_id     text        NOT NULL REFERENCES auth_identity (id) ON DELETE CASCADE,
    session_id           text        NOT NULL,
    method               text        NOT NULL,
    provider_identity_id text        NOT NULL,
    amr                  jsonb       NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(amr) = 'array'),
    failures             integer     NOT NULL DEFAULT 0,
    created_at           timestamptz NOT NULL,
    expires_at           timestamptz NOT NULL,
    used_at              timestamptz
);

--bun:split

CREATE INDEX mfa_challenge_expires_idx ON mfa_challenge (expires_at);

--bun:split

-- Whether the identity has an active second factor, kept with the factors
-- in the same transaction: the sign-in reads it from the row it loads
-- anyway, at no extra statement.
ALTER TABLE auth_identity ADD COLUMN mfa_enabled boolean NOT NULL DEFAULT false;

--bun:split

-- A session's assurance: aal1 or aal2 (NIST SP 800-63B), its
-- authentication methods (RFC 8176 amr values) and when it last
-- authenticated (sign-in or reauthenticate; NULL means at created_at).
ALTER TABLE auth_session ADD COLUMN aal text NOT NULL DEFAULT 'aal1' CHECK (aal IN ('aal1', 'aal2'));

--bun:split

ALTER TABLE auth_session ADD COLUMN amr jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(amr) = 'array');

--bun:split

ALTER TABLE auth_session ADD COLUMN auth_time timestamptz;
