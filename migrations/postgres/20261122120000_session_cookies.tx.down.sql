DROP INDEX auth_session_cookie_hash_key;

--bun:split

ALTER TABLE auth_session DROP COLUMN cookie_hash;
