-- The admin customer list (internal/store/customer_search.go): filter,
-- order and page through the undeleted customers, and search six of their
-- columns by case-insensitive substring.
--
-- last_sign_in_at: when the actor last signed in with this provider
-- identity, and when the customer last signed in at all (RecordSignIn).
-- NULL: never, or not since this migration.
ALTER TABLE customer ADD COLUMN last_sign_in_at TIMESTAMP;

--bun:split

ALTER TABLE provider_identity ADD COLUMN last_sign_in_at TIMESTAMP;

--bun:split

-- Search has no index here: SQLite has no trigram index, and the search
-- is a plain lower(<the six columns joined>) LIKE '%term%' ESCAPE '\',
-- which reads every undeleted customer. That is fine at the sizes an
-- SQLite deployment holds; a million customers belong on PostgreSQL,
-- whose migration adds a trigram index for it. SQLite's lower() folds
-- ASCII letters only.
--
-- Orders: the same keys and indexes as on PostgreSQL (see its migration):
-- each ends in id, and a nullable column sorts as (column IS NULL,
-- lower(coalesce(column, '')), id), never NULL, so one row comparison
-- finds the next page. None for last_sign_in_at, which every sign-in
-- writes.
CREATE INDEX customer_created_at_idx ON customer (created_at, id) WHERE deleted_at IS NULL;

--bun:split

CREATE INDEX customer_email_order_idx ON customer ((email IS NULL), lower(coalesce(email, '')), id)
    WHERE deleted_at IS NULL;

--bun:split

CREATE INDEX customer_last_name_order_idx ON customer ((last_name IS NULL), lower(coalesce(last_name, '')), id)
    WHERE deleted_at IS NULL;

--bun:split

-- The isLocked filter: identities ever locked are few.
CREATE INDEX auth_identity_locked_until_idx ON auth_identity (locked_until) WHERE locked_until IS NOT NULL;
