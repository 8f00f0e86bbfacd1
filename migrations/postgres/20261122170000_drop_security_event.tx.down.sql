CREATE TABLE security_event (
    id               text        PRIMARY KEY,
    type             text        NOT NULL,
    auth_identity_id text,
    session_id       text,
    detail           jsonb       NOT NULL DEFAULT '{}',
    created_at       timestamptz NOT NULL
);

--bun:split

CREATE INDEX security_event_auth_identity_id_idx ON security_event (auth_identity_id, created_at);
