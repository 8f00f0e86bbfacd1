-- Passkeys (WebAuthn) as factors: the credential's id (base64url, unique
-- across the service), the credential record as the WebAuthn library
-- keeps it (public key, flags, AAGUID, transports, attestation), and the
-- signature counter and backup flags as columns. A counter that goes
-- backwards is refused (a cloned authenticator).
ALTER TABLE auth_factor ADD COLUMN credential_id text;

--bun:split

ALTER TABLE auth_factor ADD COLUMN credential jsonb;

--bun:split

ALTER TABLE auth_factor ADD COLUMN sign_count bigint NOT NULL DEFAULT 0;

--bun:split

ALTER TABLE auth_factor ADD COLUMN backup_eligible boolean NOT NULL DEFAULT false;

--bun:split

ALTER TABLE auth_factor ADD COLUMN backed_up boolean NOT NULL DEFAULT false;

--bun:split

CREATE UNIQUE INDEX auth_factor_credential_idx ON auth_factor (credential_id) WHERE credential_id IS NOT NULL;

--bun:split

-- A WebAuthn ceremony in flight: the challenge's hash (the client sends
-- the challenge back inside clientDataJSON), what it is for, whose it is
-- (none for a sign-in with a discoverable credential), the library's
-- session data. Single-use (used_at); housekeeping deletes expired ones.
CREATE TABLE webauthn_challenge (
    id               text        PRIMARY KEY,
    challenge_hash   text        NOT NULL UNIQUE,
    purpose          text        NOT NULL CHECK (purpose IN ('registration', 'sign_in', 'mfa')),
    actor_type       text        NOT NULL CHECK (actor_type IN ('customer', 'user')),
    auth_identity_id text        REFERENCES auth_identity (id) ON DELETE CASCADE,
    mfa_challenge_id text,
    session_data     jsonb       NOT NULL,
    created_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    used_at          timestamptz
);

--bun:split

CREATE INDEX webauthn_challenge_expires_idx ON webauthn_challenge (expires_at);
