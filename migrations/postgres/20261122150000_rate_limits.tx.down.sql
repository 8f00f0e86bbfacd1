DROP TABLE rate_bucket;
