-- Cookie sessions: createSession gives a session a cookie; only its hash
-- is kept.
ALTER TABLE auth_session ADD COLUMN cookie_hash text;

--bun:split

CREATE UNIQUE INDEX auth_session_cookie_hash_key ON auth_session (cookie_hash) WHERE cookie_hash IS NOT NULL;
