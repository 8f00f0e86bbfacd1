DROP INDEX idempotency_record_identity_idx;

--bun:split

ALTER TABLE idempotency_record DROP COLUMN auth_identity_id;

--bun:split

DROP TABLE account_deletion;
