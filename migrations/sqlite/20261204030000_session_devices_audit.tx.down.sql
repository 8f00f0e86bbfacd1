DROP INDEX auth_event_name_idx;

--bun:split

DROP INDEX auth_event_actor_idx;

--bun:split

DROP INDEX auth_event_subject_idx;

--bun:split

ALTER TABLE auth_event DROP COLUMN request_id;

--bun:split

ALTER TABLE auth_event DROP COLUMN user_agent;

--bun:split

ALTER TABLE auth_event DROP COLUMN ip;

--bun:split

ALTER TABLE auth_event DROP COLUMN session_id;

--bun:split

ALTER TABLE auth_event DROP COLUMN subject_id;

--bun:split

ALTER TABLE auth_event DROP COLUMN actor_kind;

--bun:split

ALTER TABLE auth_event DROP COLUMN actor_id;

--bun:split

CREATE INDEX auth_session_auth_identity_id_idx ON auth_session (auth_identity_id) WHERE revoked_at IS NULL;

--bun:split

DROP INDEX auth_session_identity_live_idx;

--bun:split

ALTER TABLE auth_session DROP COLUMN impersonated_by;

--bun:split

ALTER TABLE auth_session DROP COLUMN sign_in_method;

--bun:split

ALTER TABLE auth_session DROP COLUMN device_label;

--bun:split

ALTER TABLE auth_session DROP COLUMN user_agent;

--bun:split

ALTER TABLE auth_session DROP COLUMN ip;
