DROP INDEX auth_identity_anonymous_idx;

--bun:split

DROP INDEX auth_event_sealed_idx;

--bun:split

DROP INDEX auth_event_created_at_idx;

--bun:split

DROP INDEX event_delivery_settled_idx;

--bun:split

DROP INDEX action_token_used_at_idx;

--bun:split

DROP INDEX action_token_expires_at_idx;

--bun:split

DROP INDEX auth_session_identity_active_idx;

--bun:split

DROP INDEX auth_session_revoked_at_idx;

--bun:split

DROP INDEX auth_session_idle_expires_at_idx;

--bun:split

DROP INDEX refresh_token_expires_at_idx;

--bun:split

DROP TABLE housekeeping_lease;
