-- Webhook endpoints managed through the API. Each has a subscriber row of
-- its own, named 'webhook:' and its id, written and deleted with it, so
-- that every instance owes it the events it writes and delivers them (the
-- configured GATEHOUSE_WEBHOOK_URL stays the subscriber 'webhook'). events
-- lists the event names it is owed, [] for all. The signing secret is
-- kept only sealed under a key derived from the key-encryption key; after
-- a rotation the previous one still signs, beside the new one, until
-- previous_secret_expires_at.
CREATE TABLE webhook_endpoint (
    id                         text        PRIMARY KEY,
    url                        text        NOT NULL,
    description                text        NOT NULL DEFAULT '',
    events                     TEXT        NOT NULL DEFAULT '[]' CHECK (json_type(events) = 'array'),
    secret_sealed              text        NOT NULL,
    previous_secret_sealed     text,
    previous_secret_expires_at TIMESTAMP,
    secret_rotated_at          TIMESTAMP,
    created_at                 TIMESTAMP NOT NULL,
    updated_at                 TIMESTAMP NOT NULL
);

--bun:split

-- The event names a subscriber is owed, [] for all (every subscriber
-- declared from an instance's environment): AppendEvent owes an event
-- only to the subscribers whose filter lets it through.
ALTER TABLE subscriber ADD COLUMN events TEXT NOT NULL DEFAULT '[]' CHECK (json_type(events) = 'array');
