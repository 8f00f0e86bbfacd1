-- Token buckets of the rate limits, shared by every instance. Times are
-- Unix seconds as numbers so that the refill arithmetic is one statement
-- in both dialects.
CREATE TABLE rate_bucket (
    key        text             PRIMARY KEY,
    tokens     double precision NOT NULL,
    updated_at double precision NOT NULL,
    ok         boolean          NOT NULL
);
