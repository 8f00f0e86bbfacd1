-- The limiter takes all of a request's buckets in one upsert, so each row
-- carries its own rate; full_at (when the bucket holds its whole burst
-- again) lets housekeeping forget it. The old rows are dropped: they have
-- no rate to refill by.
DELETE FROM rate_bucket;
--bun:split
ALTER TABLE rate_bucket ADD COLUMN burst REAL NOT NULL DEFAULT 0;
--bun:split
ALTER TABLE rate_bucket ADD COLUMN refill REAL NOT NULL DEFAULT 0;
--bun:split
ALTER TABLE rate_bucket ADD COLUMN full_at REAL NOT NULL DEFAULT 0;
--bun:split
CREATE INDEX rate_bucket_full_at ON rate_bucket (full_at);
