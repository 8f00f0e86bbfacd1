ALTER TABLE auth_session DROP COLUMN auth_time;

--bun:split

ALTER TABLE auth_session DROP COLUMN amr;

--bun:split

ALTER TABLE auth_session DROP COLUMN aal;

--bun:split

ALTER TABLE auth_identity DROP COLUMN mfa_enabled;

--bun:split

DROP TABLE mfa_challenge;

--bun:split

DROP TABLE recovery_code;

--bun:split

DROP TABLE auth_factor;
