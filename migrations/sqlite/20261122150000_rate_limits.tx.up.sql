-- Token buckets of the rate limits, shared by every instance. Times are
-- Unix seconds as numbers so that the refill arithmetic is one statement
-- in both dialects.
CREATE TABLE rate_bucket (
    key        text             PRIMARY KEY,
    tokens     REAL             NOT NULL,
    updated_at REAL             NOT NULL,
    ok         boolean          NOT NULL
);
