-- linkProvider: a third-party sign-in started by a signed-in session
-- links the provider identity to that session's account instead of
-- signing in. NULL for an ordinary sign-in.
ALTER TABLE oauth_state ADD COLUMN link_session_id text;
