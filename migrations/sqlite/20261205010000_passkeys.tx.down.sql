DROP TABLE webauthn_challenge;

--bun:split

DROP INDEX auth_factor_credential_idx;

--bun:split

ALTER TABLE auth_factor DROP COLUMN backed_up;

--bun:split

ALTER TABLE auth_factor DROP COLUMN backup_eligible;

--bun:split

ALTER TABLE auth_factor DROP COLUMN sign_count;

--bun:split

ALTER TABLE auth_factor DROP COLUMN credential;

--bun:split

ALTER TABLE auth_factor DROP COLUMN credential_id;
