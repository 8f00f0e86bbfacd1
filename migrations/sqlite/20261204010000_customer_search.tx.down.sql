DROP INDEX auth_identity_locked_until_idx;

--bun:split

DROP INDEX customer_last_name_order_idx;

--bun:split

DROP INDEX customer_email_order_idx;

--bun:split

DROP INDEX customer_created_at_idx;

--bun:split

ALTER TABLE provider_identity DROP COLUMN last_sign_in_at;

--bun:split

ALTER TABLE customer DROP COLUMN last_sign_in_at;
