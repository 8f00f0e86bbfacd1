-- Passkeys (WebAuthn) as factors: the credential's id (base64url, unique
-- across the service), the credential record as the WebAuthn library
-- keeps it (public key, flags, AAGUID, transports, attestation), and the
-- signature counter and backup flags as columns. A counter that goes
-- backwards is refused (a cloned authenticator).
ALTER TABLE auth_factor ADD COLUMN credential_id TEXT;

--bun:split

ALTER TABLE auth_factor ADD COLUMN credential TEXT;

--bun:split

ALTER TABLE auth_factor ADD COLUMN sign_count INTEGER NOT NULL DEFAULT 0;

--bun:split

ALTER TABLE auth_factor ADD COLUMN backup_eligible BOOLEAN NOT NULL DEFAULT FALSE;

--bun:split

ALTER TABLE auth_factor ADD COLUMN backed_up BOOLEAN NOT NULL DEFAULT FALSE;

--bun:split

CREATE UNIQUE INDEX auth_factor_credential_idx ON auth_factor (credential_id) WHERE credential_id IS NOT NULL;

--bun:split

-- A WebAuthn ceremony in flight: the challenge's hash (the client sends
-- the challenge back inside clientDataJSON), what it is for, whose it is
-- (none for a sign-in with a discoverable credential), the library's
-- session data. Single-use (used_at); housekeeping deletes expired ones.
CREATE TABLE webauthn_challenge (
    id               TEXT        NOT NULL PRIMARY KEY,
    challenge_hash   TEXT        NOT NULL UNIQUE,
    purpose          TEXT        NOT NULL CHECK (purpose IN ('registration', 'sign_in', 'mfa')),
    actor_type       TEXT        NOT NULL CHECK (actor_type IN ('customer', 'user')),
    auth_identity_id TEXT        REFERENCES auth_identity (id) ON DELETE CASCADE,
    mfa_challenge_id TEXT,
    session_data     TEXT        NOT NULL,
    created_at       TIMESTAMP   NOT NULL,
    expires_at       TIMESTAMP   NOT NULL,
    used_at          TIMESTAMP
);

--bun:split

CREATE INDEX webauthn_challenge_expires_idx ON webauthn_challenge (expires_at);
