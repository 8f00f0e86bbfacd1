-- Login CSRF: a third-party sign-in's state is bound to the client that
-- started it, by the client's callbackChallenge or by the hash of a
-- pre-auth cookie. States in flight at the upgrade have no binding ('')
-- and fail with STATE_INVALID; they would expire within 10 minutes.
ALTER TABLE oauth_state ADD COLUMN client_binding text NOT NULL DEFAULT '';
