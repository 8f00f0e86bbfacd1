-- The admin customer list (internal/store/customer_search.go): filter,
-- order and page through the undeleted customers, and search six of their
-- columns by case-insensitive substring, fast at a million customers.
--
-- last_sign_in_at: when the actor last signed in with this provider
-- identity, and when the customer last signed in at all (RecordSignIn).
-- NULL: never, or not since this migration.
ALTER TABLE customer ADD COLUMN last_sign_in_at timestamptz;

--bun:split

ALTER TABLE provider_identity ADD COLUMN last_sign_in_at timestamptz;

--bun:split

-- Search: ILIKE '%term%' can only use a trigram index (pg_trgm). One GIN
-- index over one expression, the six columns lowered and joined with a
-- space, rather than one index per column: a search is then one index
-- scan instead of a BitmapOr of six, a write updates one index instead of
-- six, and a term may span two neighbouring columns ("ann lee" finds
-- first name Ann, last name Lee; first_name and last_name are neighbours
-- for that). The query must use this very expression:
--   lower(<expression>) LIKE lower('%' || <term, \ % _ escaped> || '%')
-- (LIKE on lower() rather than ILIKE: the same condition as on SQLite,
-- which has no ILIKE; the operator is pg_catalog's ~~, which
-- gin_trgm_ops supports whatever the search_path). A term under three
-- characters has no trigram: the index cannot narrow it and the planner
-- reads the table. The index is partial: deleted customers are never
-- listed.
--
-- The extension is per database, and several schemas of one database
-- migrate at once (the tests run one schema each, in parallel): two
-- transactions running CREATE EXTENSION IF NOT EXISTS at the same moment
-- both find it missing and one fails on pg_extension's unique index. So a
-- database-wide transaction-level advisory lock with a fixed key
-- (fnv-64a of "gatehouse.create_extension"; Migrate's own locks are per
-- schema and use other keys) is taken first, and held until this
-- migration commits; whoever comes second then sees the extension.
--
-- It is created in public, never in the migrating schema: a schema
-- dropped with CASCADE (every test schema is) would take the extension
-- with it, and with it every other schema's index on its operator class.
-- Where pg_trgm already exists, in public or in any other schema (an
-- operator's "extensions"), that one is used, and the operator class is
-- named with its schema, since the search_path need not include it (a
-- test schema's holds only that schema). Creating it needs the CREATE
-- privilege on the database (pg_trgm is a trusted extension); a role
-- without it fails here, and an operator runs
-- CREATE EXTENSION pg_trgm WITH SCHEMA public once before migrating.
DO $$
DECLARE
    trgm text;
BEGIN
    PERFORM pg_advisory_xact_lock(-4083856523488738062);
    SELECT quote_ident(n.nspname) INTO trgm
        FROM pg_extension AS e JOIN pg_namespace AS n ON n.oid = e.extnamespace
        WHERE e.extname = 'pg_trgm';
    IF trgm IS NULL THEN
        CREATE EXTENSION pg_trgm WITH SCHEMA public;
        trgm := 'public';
    END IF;
    EXECUTE 'CREATE INDEX customer_search_idx ON customer USING gin ('
        || '(lower(coalesce(first_name, '''') || '' '' || coalesce(last_name, '''') || '' '' || coalesce(email, '''')'
        || ' || '' '' || coalesce(user_name, '''') || '' '' || coalesce(company_name, '''') || '' '' || coalesce(phone, '''')))'
        || ' ' || trgm || '.gin_trgm_ops) WHERE deleted_at IS NULL';
END
$$;

--bun:split

-- Statistics on the search expression (ANALYZE gathers none for a GIN
-- index's expression): without them the planner guesses every LIKE
-- matches about one row in ten thousand, and at a million customers it
-- sorts a quarter of the table for a common term ("example.com") where
-- reading the created_at index until a page is full takes a millisecond,
-- and reads the whole created_at index for a rare one. With them it
-- matches the pattern against the expression's sample.
CREATE STATISTICS customer_search_stats ON (lower(coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' '
    || coalesce(email, '') || ' ' || coalesce(user_name, '') || ' ' || coalesce(company_name, '') || ' ' || coalesce(phone, '')))
    FROM customer;

--bun:split

-- Orders. Each key ends in id, so that the order is total and a cursor
-- names one place in it; each index serves its order both ways (a
-- backward scan) and so both paging directions. A nullable column sorts
-- as (column IS NULL, lower(coalesce(column, '')), id): no key is ever
-- NULL, so one row comparison (keys) > (cursor) finds the next page as an
-- index range, and a missing email or last name comes after every other
-- in ascending order, before them descending.
CREATE INDEX customer_created_at_idx ON customer (created_at, id) WHERE deleted_at IS NULL;

--bun:split

CREATE INDEX customer_email_order_idx ON customer ((email IS NULL), lower(coalesce(email, '')), id)
    WHERE deleted_at IS NULL;

--bun:split

CREATE INDEX customer_last_name_order_idx ON customer ((last_name IS NULL), lower(coalesce(last_name, '')), id)
    WHERE deleted_at IS NULL;

--bun:split

-- No index orders by last_sign_in_at, on purpose: every sign-in sets it
-- (RecordSignIn), and an indexed column makes each of those updates a
-- non-HOT one, writing a new entry into every index of customer, the
-- trigram index's dozens included. The sign-in path is hot; ordering a
-- list by last sign-in is an admin's occasional view, answered by a top-N
-- sort (internal/store/customer_search_million_test.go measures it).
--
-- The isLocked filter looks for the customers whose auth identity is
-- locked now; identities ever locked are few, and only Lock and Unlock
-- write locked_until, so this index stays small and cheap.
CREATE INDEX auth_identity_locked_until_idx ON auth_identity (locked_until) WHERE locked_until IS NOT NULL;
