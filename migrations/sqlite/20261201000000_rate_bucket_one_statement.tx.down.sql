DROP INDEX rate_bucket_full_at;
--bun:split
ALTER TABLE rate_bucket DROP COLUMN full_at;
--bun:split
ALTER TABLE rate_bucket DROP COLUMN refill;
--bun:split
ALTER TABLE rate_bucket DROP COLUMN burst;
