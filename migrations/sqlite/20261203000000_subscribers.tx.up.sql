-- The fleet's subscribers: who is owed each event, whichever instance
-- wrote it. Every instance declares at start the subscribers its
-- environment configures (it never changes enabled, which is the
-- operator's, and later the webhook endpoints' management); an event is
-- owed to every enabled one. config describes the subscriber for
-- operators and never holds a secret (signing keys and credentials stay
-- in the environment).
CREATE TABLE subscriber (
    name       text        PRIMARY KEY,
    kind       text        NOT NULL CHECK (kind IN ('webhook', 'nats', 'log')),
    enabled    boolean     NOT NULL DEFAULT true,
    config     TEXT        NOT NULL DEFAULT '{}',
    created_at TIMESTAMP   NOT NULL,
    updated_at TIMESTAMP   NOT NULL
);

--bun:split

-- Which dispatcher holds a delivery's lease (a random id per dispatcher),
-- so that it renews, releases and settles only its own leases.
ALTER TABLE event_delivery ADD COLUMN locked_by text;

--bun:split

-- A dispatcher's heartbeat and its release at shutdown find its leases
-- here; settled rows leave the index.
CREATE INDEX event_delivery_lease_idx ON event_delivery (locked_by) WHERE locked_by IS NOT NULL;
