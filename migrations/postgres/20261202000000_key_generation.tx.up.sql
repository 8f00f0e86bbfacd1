-- The generation of the signing keys: one row, bumped in the transaction
-- of every change to signing_key. Instances poll it (one row by primary
-- key, every second) and reload the keys only when it moved, so that
-- `keys rotate --now` reaches them within about a second. A plain SELECT
-- works behind pgbouncer in transaction mode; LISTEN/NOTIFY would not.
CREATE TABLE signing_key_generation (
    id         integer PRIMARY KEY CHECK (id = 1),
    generation bigint  NOT NULL
);
--bun:split
INSERT INTO signing_key_generation (id, generation) VALUES (1, 0);
