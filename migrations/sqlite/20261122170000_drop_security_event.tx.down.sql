CREATE TABLE security_event (
    id               TEXT      NOT NULL PRIMARY KEY,
    type             TEXT      NOT NULL,
    auth_identity_id TEXT,
    session_id       TEXT,
    detail           TEXT      NOT NULL DEFAULT '{}' CHECK (json_valid(detail)),
    created_at       TIMESTAMP NOT NULL
);

--bun:split

CREATE INDEX security_event_auth_identity_id_idx ON security_event (auth_identity_id, created_at);
