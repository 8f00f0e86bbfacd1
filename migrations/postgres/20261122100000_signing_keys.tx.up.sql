-- Token-signing keys. The public key is kept in the clear, so that a
-- process that only verifies (keys from files) needs no key-encryption key;
-- the private key only sealed under it (AES-256-GCM, the kid as additional
-- data), with the fingerprint of the key-encryption key that sealed it. A
-- key signs from activates_at until retired_at and verifies until
-- expires_at; both are set together, when a newer key takes over.
CREATE TABLE signing_key (
    kid             text        PRIMARY KEY,
    alg             text        NOT NULL CHECK (alg IN ('EdDSA', 'RS256')),
    public_key      text        NOT NULL,
    private_key     text        NOT NULL,
    kek_fingerprint text        NOT NULL,
    created_at      timestamptz NOT NULL,
    activates_at    timestamptz NOT NULL,
    retired_at      timestamptz,
    expires_at      timestamptz,
    CONSTRAINT signing_key_life_check CHECK (
        (retired_at IS NULL AND expires_at IS NULL)
        OR (retired_at IS NOT NULL AND expires_at IS NOT NULL AND expires_at >= retired_at))
);
