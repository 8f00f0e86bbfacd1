DROP TABLE gatehouse_setting;

--bun:split

DROP TABLE invite;

--bun:split

DROP TABLE "user";

--bun:split

ALTER TABLE customer
    DROP CONSTRAINT customer_default_billing_address_id_fkey,
    DROP CONSTRAINT customer_default_shipping_address_id_fkey;

--bun:split

DROP TABLE customer_address;

--bun:split

DROP TABLE customer;

--bun:split

DROP TABLE provider_identity;

--bun:split

DROP TABLE auth_identity;
