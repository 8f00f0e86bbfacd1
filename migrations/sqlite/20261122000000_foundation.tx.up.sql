-- The foundation of the gatehouse schema: identities, customers and their
-- addresses, admin users, invites and settings. Every time is written by the
-- service (time is injected), so no time column has a default.
--
-- How SQLite holds what PostgreSQL types:
--   TIMESTAMP  text as Bun writes it, always UTC with microseconds at most:
--              '2026-11-22 10:04:05.123456+00:00'. One format and one zone,
--              so comparing the text compares the times (expires_at > ?).
--              The declared type makes the driver hand back a time.Time.
--   BOOLEAN    the integers 0 and 1 (Bun writes TRUE and FALSE).
--   JSON       TEXT, checked with json_valid.
-- Primary keys are NOT NULL explicitly: SQLite allows NULL in a TEXT key.
CREATE TABLE auth_identity (
    id           TEXT      NOT NULL PRIMARY KEY,
    actor_type   TEXT      NOT NULL CHECK (actor_type IN ('customer', 'user')),
    app_metadata TEXT      NOT NULL DEFAULT '{}' CHECK (json_valid(app_metadata)),
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);

--bun:split

CREATE TABLE provider_identity (
    id                TEXT      NOT NULL PRIMARY KEY,
    auth_identity_id  TEXT      NOT NULL REFERENCES auth_identity (id) ON DELETE CASCADE,
    actor_type        TEXT      NOT NULL CHECK (actor_type IN ('customer', 'user')),
    provider          TEXT      NOT NULL,
    entity_id         TEXT      NOT NULL,
    provider_metadata TEXT      NOT NULL DEFAULT '{}' CHECK (json_valid(provider_metadata)),
    user_metadata     TEXT      NOT NULL DEFAULT '{}' CHECK (json_valid(user_metadata)),
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    CONSTRAINT provider_identity_entity_key UNIQUE (actor_type, provider, entity_id)
);

--bun:split

CREATE INDEX provider_identity_auth_identity_id_idx ON provider_identity (auth_identity_id);

--bun:split

-- The default address columns reference customer_address, created below:
-- SQLite resolves a foreign key when it is used, not when it is declared.
CREATE TABLE customer (
    id                          TEXT      NOT NULL PRIMARY KEY,
    email                       TEXT,
    first_name                  TEXT,
    last_name                   TEXT,
    company_name                TEXT,
    phone                       TEXT,
    has_account                 BOOLEAN   NOT NULL DEFAULT FALSE,
    default_billing_address_id  TEXT      REFERENCES customer_address (id) ON DELETE SET NULL,
    default_shipping_address_id TEXT      REFERENCES customer_address (id) ON DELETE SET NULL,
    metadata                    TEXT      NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    accepts_marketing           BOOLEAN   NOT NULL DEFAULT FALSE,
    account_type                TEXT,
    attributes                  TEXT      NOT NULL DEFAULT '[]' CHECK (json_valid(attributes)),
    customer_set                TEXT,
    external_id                 TEXT,
    has_external_password       BOOLEAN   NOT NULL DEFAULT FALSE,
    is_active                   BOOLEAN   NOT NULL DEFAULT TRUE,
    is_anonymous                BOOLEAN   NOT NULL DEFAULT FALSE,
    is_locked                   BOOLEAN   NOT NULL DEFAULT FALSE,
    locale_code                 TEXT,
    tax_exempt                  BOOLEAN   NOT NULL DEFAULT FALSE,
    tax_id                      TEXT,
    user_name                   TEXT,
    created_at                  TIMESTAMP NOT NULL,
    updated_at                  TIMESTAMP NOT NULL,
    deleted_at                  TIMESTAMP
);

--bun:split

-- Guest customers may share an email; registered ones may not.
CREATE UNIQUE INDEX customer_email_key ON customer (email)
    WHERE has_account AND deleted_at IS NULL;

--bun:split

CREATE UNIQUE INDEX customer_user_name_key ON customer (lower(user_name))
    WHERE user_name IS NOT NULL AND deleted_at IS NULL;

--bun:split

-- Deleting an address looks up the customers that default to it.
CREATE INDEX customer_default_billing_address_id_idx ON customer (default_billing_address_id)
    WHERE default_billing_address_id IS NOT NULL;

--bun:split

CREATE INDEX customer_default_shipping_address_id_idx ON customer (default_shipping_address_id)
    WHERE default_shipping_address_id IS NOT NULL;

--bun:split

CREATE TABLE customer_address (
    id           TEXT      NOT NULL PRIMARY KEY,
    customer_id  TEXT      NOT NULL REFERENCES customer (id) ON DELETE CASCADE,
    address_name TEXT,
    company      TEXT,
    first_name   TEXT,
    last_name    TEXT,
    address_1    TEXT,
    address_2    TEXT,
    city         TEXT,
    country_code TEXT,
    province     TEXT,
    postal_code  TEXT,
    phone        TEXT,
    metadata     TEXT      NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);

--bun:split

CREATE INDEX customer_address_customer_id_idx ON customer_address (customer_id);

--bun:split

-- Quoted as in PostgreSQL, where "user" is a reserved word.
CREATE TABLE "user" (
    id         TEXT      NOT NULL PRIMARY KEY,
    email      TEXT      NOT NULL,
    first_name TEXT,
    last_name  TEXT,
    avatar_url TEXT,
    metadata   TEXT      NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);

--bun:split

CREATE UNIQUE INDEX user_email_key ON "user" (email) WHERE deleted_at IS NULL;

--bun:split

CREATE TABLE invite (
    id          TEXT      NOT NULL PRIMARY KEY,
    email       TEXT      NOT NULL,
    token_hash  TEXT      NOT NULL CONSTRAINT invite_token_hash_key UNIQUE,
    accepted    BOOLEAN   NOT NULL DEFAULT FALSE,
    accepted_at TIMESTAMP,
    expires_at  TIMESTAMP NOT NULL,
    created_by  TEXT      REFERENCES "user" (id) ON DELETE SET NULL,
    metadata    TEXT      NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    deleted_at  TIMESTAMP
);

--bun:split

-- One pending invite per email: a new invite supersedes the old one.
CREATE UNIQUE INDEX invite_pending_email_key ON invite (email)
    WHERE NOT accepted AND deleted_at IS NULL;

--bun:split

CREATE TABLE gatehouse_setting (
    key        TEXT      NOT NULL PRIMARY KEY,
    value      TEXT      NOT NULL,
    created_at TIMESTAMP NOT NULL
);
