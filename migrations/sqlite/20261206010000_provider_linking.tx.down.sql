ALTER TABLE oauth_state DROP COLUMN link_session_id;
