ALTER TABLE rate_bucket SET LOGGED;
--bun:split
DROP INDEX rate_bucket_full_at;
--bun:split
ALTER TABLE rate_bucket DROP COLUMN burst, DROP COLUMN refill, DROP COLUMN full_at;
