-- The foundation of the gatehouse schema: identities, customers and their
-- addresses, admin users, invites and settings. Every time is written by the
-- service (time is injected), so no time column has a default.
CREATE TABLE auth_identity (
    id           text        PRIMARY KEY,
    actor_type   text        NOT NULL CHECK (actor_type IN ('customer', 'user')),
    app_metadata jsonb       NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);

--bun:split

CREATE TABLE provider_identity (
    id                text        PRIMARY KEY,
    auth_identity_id  text        NOT NULL REFERENCES auth_identity (id) ON DELETE CASCADE,
    actor_type        text        NOT NULL CHECK (actor_type IN ('customer', 'user')),
    provider          text        NOT NULL,
    entity_id         text        NOT NULL,
    provider_metadata jsonb       NOT NULL DEFAULT '{}',
    user_metadata     jsonb       NOT NULL DEFAULT '{}',
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    CONSTRAINT provider_identity_entity_key UNIQUE (actor_type, provider, entity_id)
);

--bun:split

CREATE INDEX provider_identity_auth_identity_id_idx ON provider_identity (auth_identity_id);

--bun:split

CREATE TABLE customer (
    id                          text        PRIMARY KEY,
    email                       text,
    first_name                  text,
    last_name                   text,
    company_name                text,
    phone                       text,
    has_account                 boolean     NOT NULL DEFAULT false,
    default_billing_address_id  text,
    default_shipping_address_id text,
    metadata                    jsonb       NOT NULL DEFAULT '{}',
    accepts_marketing           boolean     NOT NULL DEFAULT false,
    account_type                text,
    attributes                  jsonb       NOT NULL DEFAULT '[]',
    customer_set                text,
    external_id                 text,
    has_external_password       boolean     NOT NULL DEFAULT false,
    is_active                   boolean     NOT NULL DEFAULT true,
    is_anonymous                boolean     NOT NULL DEFAULT false,
    is_locked                   boolean     NOT NULL DEFAULT false,
    locale_code                 text,
    tax_exempt                  boolean     NOT NULL DEFAULT false,
    tax_id                      text,
    user_name                   text,
    created_at                  timestamptz NOT NULL,
    updated_at                  timestamptz NOT NULL,
    deleted_at                  timestamptz
);

--bun:split

-- Guest customers may share an email; registered ones may not.
CREATE UNIQUE INDEX customer_email_key ON customer (email)
    WHERE has_account AND deleted_at IS NULL;

--bun:split

CREATE UNIQUE INDEX customer_user_name_key ON customer (lower(user_name))
    WHERE user_name IS NOT NULL AND deleted_at IS NULL;

--bun:split

CREATE TABLE customer_address (
    id           text        PRIMARY KEY,
    customer_id  text        NOT NULL REFERENCES customer (id) ON DELETE CASCADE,
    address_name text,
    company      text,
    first_name   text,
    last_name    text,
    address_1    text,
    address_2    text,
    city         text,
    country_code text,
    province     text,
    postal_code  text,
    phone        text,
    metadata     jsonb       NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);

--bun:split

CREATE INDEX customer_address_customer_id_idx ON customer_address (customer_id);

--bun:split

ALTER TABLE customer
    ADD CONSTRAINT customer_default_billing_address_id_fkey
        FOREIGN KEY (default_billing_address_id) REFERENCES customer_address (id) ON DELETE SET NULL,
    ADD CONSTRAINT customer_default_shipping_address_id_fkey
        FOREIGN KEY (default_shipping_address_id) REFERENCES customer_address (id) ON DELETE SET NULL;

--bun:split

-- Deleting an address looks up the customers that default to it.
CREATE INDEX customer_default_billing_address_id_idx ON customer (default_billing_address_id)
    WHERE default_billing_address_id IS NOT NULL;

--bun:split

CREATE INDEX customer_default_shipping_address_id_idx ON customer (default_shipping_address_id)
    WHERE default_shipping_address_id IS NOT NULL;

--bun:split

-- "user" is a reserved word in PostgreSQL: it is always quoted.
CREATE TABLE "user" (
    id         text        PRIMARY KEY,
    email      text        NOT NULL,
    first_name text,
    last_name  text,
    avatar_url text,
    metadata   jsonb       NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz
);

--bun:split

CREATE UNIQUE INDEX user_email_key ON "user" (email) WHERE deleted_at IS NULL;

--bun:split

CREATE TABLE invite (
    id          text        PRIMARY KEY,
    email       text        NOT NULL,
    token_hash  text        NOT NULL CONSTRAINT invite_token_hash_key UNIQUE,
    accepted    boolean     NOT NULL DEFAULT false,
    accepted_at timestamptz,
    expires_at  timestamptz NOT NULL,
    created_by  text        REFERENCES "user" (id) ON DELETE SET NULL,
    metadata    jsonb       NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    deleted_at  timestamptz
);

--bun:split

-- One pending invite per email: a new invite supersedes the old one.
CREATE UNIQUE INDEX invite_pending_email_key ON invite (email)
    WHERE NOT accepted AND deleted_at IS NULL;

--bun:split

CREATE TABLE gatehouse_setting (
    key        text        PRIMARY KEY,
    value      text        NOT NULL,
    created_at timestamptz NOT NULL
);
