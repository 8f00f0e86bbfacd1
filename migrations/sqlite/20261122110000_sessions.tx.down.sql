DROP TABLE security_event;

--bun:split

DROP TABLE refresh_token;

--bun:split

DROP TABLE auth_session;
