ALTER TABLE auth_identity DROP COLUMN locked_until;

--bun:split

ALTER TABLE auth_identity DROP COLUMN lock_count;

--bun:split

ALTER TABLE auth_identity DROP COLUMN failed_attempts;

--bun:split

DROP TABLE action_token;

--bun:split

DROP TABLE event_delivery;

--bun:split

DROP TABLE auth_event;
