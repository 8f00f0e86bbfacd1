-- The limiter takes all of a request's buckets in one upsert, so each row
-- carries its own rate; full_at (when the bucket holds its whole burst
-- again) lets housekeeping forget it. Buckets are UNLOGGED: their writes
-- skip the WAL, so a take never waits for a disk flush, and a crash or a
-- failover empties them, which only forgives a few recent attempts (the
-- lockout counts live in logged tables). The old rows are dropped: they
-- have no rate to refill by.
DELETE FROM rate_bucket;
--bun:split
ALTER TABLE rate_bucket
    ADD COLUMN burst   double precision NOT NULL DEFAULT 0,
    ADD COLUMN refill  double precision NOT NULL DEFAULT 0,
    ADD COLUMN full_at double precision NOT NULL DEFAULT 0;
--bun:split
CREATE INDEX rate_bucket_full_at ON rate_bucket (full_at);
--bun:split
ALTER TABLE rate_bucket SET UNLOGGED;
