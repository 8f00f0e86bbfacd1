-- Sessions per device: where and how each session began, for the
-- sessions list (last_active_at is its last use). All nullable: older
-- sessions have none of it. user_agent is cut to 512 characters when
-- written; impersonated_by is the admin user's id (no foreign key: the
-- record outlives the user).
ALTER TABLE auth_session ADD COLUMN ip text;

--bun:split

ALTER TABLE auth_session ADD COLUMN user_agent text;

--bun:split

ALTER TABLE auth_session ADD COLUMN device_label text;

--bun:split

ALTER TABLE auth_session ADD COLUMN sign_in_method text;

--bun:split

ALTER TABLE auth_session ADD COLUMN impersonated_by text;

--bun:split

-- An identity's live sessions, newest first (SessionsOf). It also serves
-- what the older index on auth_identity_id alone served (revoking an
-- identity's live sessions), so it replaces it: one index to write, not two.
CREATE INDEX auth_session_identity_live_idx ON auth_session (auth_identity_id, created_at) WHERE revoked_at IS NULL;

--bun:split

DROP INDEX auth_session_auth_identity_id_idx;

--bun:split

-- The audit trail: who did it (a customer or user; none for the system),
-- on whom (a customer, user or identity id), in which session, from
-- where. Events written before this migration have none of it. The rows
-- are auth_event's own, so the audit retention deletes them whole.
ALTER TABLE auth_event ADD COLUMN actor_id text;

--bun:split

ALTER TABLE auth_event ADD COLUMN actor_kind text CHECK (actor_kind IN ('customer', 'user'));

--bun:split

ALTER TABLE auth_event ADD COLUMN subject_id text;

--bun:split

ALTER TABLE auth_event ADD COLUMN session_id text;

--bun:split

ALTER TABLE auth_event ADD COLUMN ip text;

--bun:split

ALTER TABLE auth_event ADD COLUMN user_agent text;

--bun:split

ALTER TABLE auth_event ADD COLUMN request_id text;

--bun:split

-- The audit log's filters, each newest first by id (event ids are
-- time-ordered ULIDs): by subject, by actor, by type. Without a filter the
-- primary key serves; the time range has auth_event_created_at_idx.
-- System events (no actor) and old ones (no subject) stay out of the
-- partial indexes.
CREATE INDEX auth_event_subject_idx ON auth_event (subject_id, id) WHERE subject_id IS NOT NULL;

--bun:split

CREATE INDEX auth_event_actor_idx ON auth_event (actor_id, id) WHERE actor_id IS NOT NULL;

--bun:split

CREATE INDEX auth_event_name_idx ON auth_event (name, id);
