ALTER TABLE oauth_state DROP COLUMN client_binding;
