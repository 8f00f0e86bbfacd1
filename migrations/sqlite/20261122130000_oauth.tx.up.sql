-- Third-party sign-ins in flight: one row per authenticate call, consumed
-- once by validateCallback. id is the hash of the state; the PKCE verifier
-- and nonce are derived from the state, never stored.
CREATE TABLE oauth_state (
    id text PRIMARY KEY,
    actor_type text NOT NULL,
    provider text NOT NULL,
    redirect_url text NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);

--bun:split

CREATE INDEX oauth_state_expires_at_idx ON oauth_state (expires_at);
