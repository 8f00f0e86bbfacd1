-- Token-signing keys. The public key is kept in the clear, so that a
-- process that only verifies (keys from files) needs no key-encryption key;
-- the private key only sealed under it (AES-256-GCM, the kid as additional
-- data), with the fingerprint of the key-encryption key that sealed it. A
-- key signs from activates_at until retired_at and verifies until
-- expires_at; both are set together, when a newer key takes over. Types as
-- in the foundation migration.
CREATE TABLE signing_key (
    kid             TEXT      NOT NULL PRIMARY KEY,
    alg             TEXT      NOT NULL CHECK (alg IN ('EdDSA', 'RS256')),
    public_key      TEXT      NOT NULL,
    private_key     TEXT      NOT NULL,
    kek_fingerprint TEXT      NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    activates_at    TIMESTAMP NOT NULL,
    retired_at      TIMESTAMP,
    expires_at      TIMESTAMP,
    CONSTRAINT signing_key_life_check CHECK (
        (retired_at IS NULL AND expires_at IS NULL)
        OR (retired_at IS NOT NULL AND expires_at IS NOT NULL AND expires_at >= retired_at))
);
